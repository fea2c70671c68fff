"""A local AWS Organizations `ListAccounts` for payer roles (dev and tests only).

moto's Organizations makes up its own account ids, so it cannot hold the sample payer's real
member accounts. This hook answers `organizations.ListAccounts` from a mapping
{payer account: [{"Id", "Name"}, ...]} (local/samples/organizations.json) for the account the
calling credentials belong to: moto maps assumed-role keys to the role's account, so a client built
from a payer role's credentials sees that payer's organization, and any other caller gets
AWSOrganizationsNotInUseException, as from an account outside an organization.
Same botocore `before-call` technique as local/aws/cost_explorer/service.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

_EVENT = "before-call.organizations.ListAccounts"
PAGE_SIZE = 20  # AWS's maximum MaxResults for ListAccounts


def load(path: Path) -> dict[str, list[dict[str, str]]]:
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object {{payer account: [{{Id, Name}}]}}")
    return data


def install(session: Any, organizations: dict[str, list[dict[str, str]]]) -> Callable[[], None]:
    from botocore.awsrequest import AWSResponse
    from moto.iam.models import get_account_id_from

    events = session.events if hasattr(session, "events") else session.get_component("event_emitter")
    state = {"active": True}

    def handler(params: dict, request_signer: Any = None, **_: Any) -> tuple[Any, dict] | None:
        if not state["active"]:
            return None
        credentials = request_signer._credentials if request_signer is not None else None
        account = get_account_id_from(credentials.access_key) if credentials is not None else None
        body = json.loads(params.get("body") or b"{}") if params.get("body") else {}
        members = organizations.get(str(account))
        headers = {"x-amzn-requestid": str(uuid.uuid4())}
        if members is None:
            error = {"Error": {"Code": "AWSOrganizationsNotInUseException",
                               "Message": "Your account is not a member of an organization."}}
            return AWSResponse(params.get("url", ""), 400, headers, None), {**error, "ResponseMetadata": {"HTTPStatusCode": 400}}
        start = int(body.get("NextToken") or 0)
        page = members[start:start + PAGE_SIZE]
        parsed: dict[str, Any] = {"Accounts": [{"Id": m["Id"], "Name": m["Name"], "Status": "ACTIVE"} for m in page],
                                  "ResponseMetadata": {"HTTPStatusCode": 200}}
        if start + PAGE_SIZE < len(members):
            parsed["NextToken"] = str(start + PAGE_SIZE)
        return AWSResponse(params.get("url", ""), 200, headers, None), parsed

    events.register(_EVENT, handler)

    def uninstall() -> None:
        state["active"] = False
        events.unregister(_EVENT, handler)

    return uninstall
