"""The unsubscribe POST's form: RFC 8058's one pair, and `source=page` when our page's button sent it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.models import StrictModel


class UnsubscribeForm(StrictModel):
    """`List-Unsubscribe=One-Click` is required (RFC 8058); anything else in the form is refused."""

    one_click: Literal["One-Click"] = Field(alias="List-Unsubscribe")
    source: Literal["page"] | None = None

    @property
    def method(self) -> str:
        """How the suppression is recorded (chalicelib/core/subscriptions.METHODS)."""
        return "page" if self.source == "page" else "one-click"
