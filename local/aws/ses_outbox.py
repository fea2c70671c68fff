"""SES captured: every SendEmail (v2, raw content) is written as an .eml under <out>/<client_id>/
(notifications: <out>/notifications/<client_id>/<notification id>.email.eml, and `<id>.2.email.eml`,
... for its other recipients: the email channel sends one message per recipient)."""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Callable
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse


class SentEmail(dict):  # type: ignore[type-arg]
    """One captured email's facts; its `raw` bytes are read from the .eml written for it when asked
    for (`email["raw"]`), not kept: a run of N clients held N whole messages, attachments included,
    in memory until it ended."""

    def __missing__(self, key: str) -> Any:
        if key == "raw":
            return Path(self["path"]).read_bytes()
        raise KeyError(key)


class SesOutbox:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.sent: list[dict[str, Any]] = []  # reports
        self.notifications: list[dict[str, Any]] = []  # alerts sent by the notification queue's email channel
        self.fault_hook: Callable[[dict[str, Any]], None] | None = None
        self._lock = threading.Lock()

    def __call__(self, params: dict[str, Any], model: Any = None, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        import json

        body = params["body"]
        request = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
        if self.fault_hook:
            error = self.fault_hook(request)
            if error:
                return AWSResponse("http://127.0.0.1/ses", error[0], {}, None), {
                    "Error": {"Code": error[1], "Message": error[2]}, "ResponseMetadata": {"HTTPStatusCode": error[0]}}
        raw = base64.b64decode(request["Content"]["Raw"]["Data"])
        tags = {t["Name"]: t["Value"] for t in request.get("EmailTags", [])}
        client_id = tags.get("client_id") or "unknown"
        message_id = f"local-{uuid.uuid4()}"
        if tags.get("notification_id"):  # <id>.email.eml; its other recipients' copies <id>.<n>.email.eml
            folder = self.out_dir / "notifications" / client_id
            position = tags.get("recipient", "1")
            name = f"{tags['notification_id']}{'' if position == '1' else f'.{position}'}.email.eml"
        else:
            folder = self.out_dir / client_id
            name = f"{message_id}.eml"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(raw)
        parsed_message = BytesHeaderParser(policy=default_policy).parsebytes(raw)  # the subject only: headers suffice
        with self._lock:
            (self.notifications if tags.get("notification_id") else self.sent).append(SentEmail({
                "message_id": message_id,
                "client_id": client_id,
                "to": request.get("Destination", {}).get("ToAddresses", []),
                # SES bills every recipient: To, Cc and Bcc
                "recipients": sum(len(request.get("Destination", {}).get(field) or ())
                                  for field in ("ToAddresses", "CcAddresses", "BccAddresses")),
                "subject": str(parsed_message["Subject"]),
                "path": path,
            }))
        return AWSResponse("http://127.0.0.1/ses", 200, {}, None), {"MessageId": message_id}

    def install(self, session: Any) -> Callable[[], None]:
        session.events.register("before-call.sesv2.SendEmail", self, unique_id="local-ses-outbox")
        return lambda: session.events.unregister("before-call.sesv2.SendEmail", unique_id="local-ses-outbox")
