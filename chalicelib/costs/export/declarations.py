"""The billing exports a stage declares (infra/stages.json "exports"), as every Lambda reads them.

infra/description.py writes the list into the functions' environment (COST_EXPORTS, JSON) with every
default filled in, so a Lambda never guesses a database, a table or where results go.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Literal

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from chalicelib.core.errors import ConfigurationError
from chalicelib.core.models import CostSourceName, StrictModel

ExportFormat = Literal["focus-1.0", "focus-1.2", "cur-2.0"]
GLUE_NAME = r"^[a-z0-9_]{1,255}$"


class ExportDeclaration(StrictModel):
    """One AWS Data Exports export (or any FOCUS 1.x export laid out the same way) and its Athena table."""

    name: CostSourceName  # what a client's cost_source names
    format: ExportFormat
    # The export's own folder: the one holding data/BILLING_PERIOD=YYYY-MM/ and metadata/.
    s3_uri: str = Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(.+/)?$")
    database: str = Field(pattern=GLUE_NAME)
    table: str = Field(pattern=GLUE_NAME)
    accounts_table: str = Field(default="run_accounts", pattern=GLUE_NAME)
    workgroup: str = Field(pattern=r"^[A-Za-z0-9._-]{1,128}$")
    results_uri: str = Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(.+/)?$")
    # FOCUS as AWS writes it carries x_UsageType and x_ServiceCode; another provider's FOCUS does not.
    aws_columns: bool = True

    @field_validator("s3_uri", "results_uri")
    @classmethod
    def _folder(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def family(self) -> Literal["focus", "cur"]:
        return "cur" if self.format.startswith("cur") else "focus"

    @property
    def bucket(self) -> str:
        return self.s3_uri[len("s3://"):].split("/", 1)[0]

    @property
    def prefix(self) -> str:
        return self.s3_uri[len("s3://"):].split("/", 1)[1]

    @property
    def export_name(self) -> str:
        """The export's name in AWS Data Exports: the last folder of s3_uri (its files are named after it)."""
        return self.prefix.rstrip("/").rsplit("/", 1)[-1]


# defer_build: built when a stage first reads the declarations (export clients only), not at import.
_DECLARATIONS = TypeAdapter(list[ExportDeclaration], config=ConfigDict(defer_build=True))


@lru_cache(maxsize=4)
def parse_declarations(text: str) -> tuple[ExportDeclaration, ...]:
    try:
        declared = _DECLARATIONS.validate_python(json.loads(text or "[]"))
    except (ValueError, ValidationError) as exc:
        raise ConfigurationError(f"invalid export declarations ({exc.__class__.__name__}): {exc}") from exc
    names = [d.name for d in declared]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"export declarations: duplicate names in {names}")
    return tuple(declared)


def declared_exports() -> tuple[ExportDeclaration, ...]:
    from chalicelib.core.settings import get_settings

    return parse_declarations(get_settings().cost_exports_setting)


def export_named(name: str) -> ExportDeclaration:
    """The stage's export of this name; a name the stage does not declare is a configuration error."""
    declared = declared_exports()
    found = next((d for d in declared if d.name == name), None)
    if found is None:
        known = ", ".join(d.name for d in declared) or "none"
        raise ConfigurationError(f"cost_source {name!r} is not an export this stage declares (declared: {known})")
    return found
