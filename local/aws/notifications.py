"""Notifications locally: where each accepted notification lands, and the helpers tests and the CLI use.

The queue, its DLQ and the budget state machine come from infra/description.py like every resource;
the SQS poller (local/aws/sqs_poller.py) feeds the consumer as Lambda's event source mapping would. This
adds what only a local run needs:

- a loopback webhook server (local/fixtures/webhook_server.py): every webhook secret a client config names
  (`notifications.slack_secret`, ...) is stored in the local Secrets Manager with a URL of it, and
  what it accepts is written as `OUT/notifications/<client_id>/<id>.<channel>.json` (the body posted);
- SNS publishes of notifications written as `<id>.sns.json` (moto still takes them); SES notification
  emails are written by the SES outbox as `<id>.email.eml`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from chalicelib.core.constants import ENV_SECRETS_PREFIX


class LocalNotifications:
    def __init__(self, runtime: Any) -> None:
        import chalicelib.core.secrets  # noqa: F401 - its log filter keeps secret values out of botocore's DEBUG lines
        from local.fixtures.webhook_server import WebhookServer

        self.runtime = runtime
        self.out_dir = Path(runtime.out_dir)
        self.published: list[dict[str, Any]] = []
        self._counted = 0  # poller deliveries already counted by drain()
        self.webhooks = WebhookServer(out_dir=self.out_dir).__enter__()
        self._uninstall_sns = _capture_sns(runtime.session, self.out_dir, self.published)

    def close(self) -> None:
        self._uninstall_sns()
        self.webhooks.__exit__(None, None, None)

    # ---- secrets ----------------------------------------------------------------------------------

    def seed_secrets(self, clients: Any) -> None:
        """Every webhook secret a client config names -> a URL of the local webhook server."""
        for client in clients:
            channels = client.get("notifications") if isinstance(client, dict) else None
            if not isinstance(channels, dict) or not isinstance(client.get("client_id"), str):
                continue
            for channel in ("slack", "teams", "webhook"):
                name = channels.get(f"{channel}_secret")
                if isinstance(name, str) and name:
                    # Slack and Teams receivers refuse what the real services refuse (their limits)
                    mode = channel if channel in ("slack", "teams") else "ok"
                    self.put_secret(name, self.webhooks.url(channel, client["client_id"], mode=mode))

    def put_secret(self, name: str, value: str) -> None:
        from chalicelib.core.caches import reset_all

        client = self.runtime.session.client("secretsmanager")
        secret_id = f"{os.environ[ENV_SECRETS_PREFIX]}{name}"
        try:
            client.create_secret(Name=secret_id, SecretString=value)
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=secret_id, SecretString=value)
        reset_all()  # the consumer caches secret values for a few minutes

    # ---- the budget check and the queue ----------------------------------------------------------------

    @property
    def budget_state_machine_arn(self) -> str:
        return self.runtime.deployer.state_machine_arn("budget_check")

    def start_budget_check(self, run_input: dict[str, Any], name: str) -> str:
        return self.runtime.sfn.start_execution(stateMachineArn=self.budget_state_machine_arn, name=name,
                                                input=json.dumps(run_input))["executionArn"]

    def drain(self, timeout: float = 120.0) -> dict[str, int]:
        """Until the queue is empty: failed messages retried after their (scaled) visibility timeout,
        dead-lettered after the last receive. Received and failed record counts since the last drain
        (the background poller may have taken some before this call)."""
        self.runtime.poller.drain(timeout=timeout, settle=True)
        deliveries = self.runtime.poller.deliveries[self._counted:]
        self._counted += len(deliveries)
        return {"received": sum(len(d.message_ids) for d in deliveries), "failed": sum(len(d.failed) for d in deliveries)}

    def dlq_depth(self) -> int:
        stage = self.runtime.stage
        sqs = self.runtime.session.client("sqs")
        url = sqs.get_queue_url(QueueName=stage.dlq_name("notify"))["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])

    def sent_per_channel(self) -> dict[str, int]:
        """Notifications each channel accepted in this local AWS (each also written as a file)."""
        counts = {"email": len(self.runtime.outbox.notifications),
                  "sns": sum(1 for p in self.published if "notification_id" in (p.get("MessageAttributes") or {}))}
        for channel in ("slack", "teams", "webhook"):
            counts[channel] = len(self.webhooks.accepted(channel))
        return {channel: count for channel, count in sorted(counts.items()) if count}


def _capture_sns(session: Any, out_dir: Path, published: list[dict[str, Any]]) -> Any:
    """Write each accepted notification publish (moto still handles it) as <id>.sns.json."""
    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["local_sns_publish"] = dict(params)

    def write(http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        params = context.get("local_sns_publish")
        if not params or http_response.status_code >= 300:
            return
        attrs = {k: v.get("StringValue") for k, v in (params.get("MessageAttributes") or {}).items()}
        published.append({**params, "MessageId": parsed.get("MessageId")})
        if not attrs.get("notification_id") or not attrs.get("client_id"):
            return
        folder = out_dir / "notifications" / attrs["client_id"]
        folder.mkdir(parents=True, exist_ok=True)
        record = {"TopicArn": params.get("TopicArn"), "Subject": params.get("Subject"), "Message": params.get("Message"),
                  "MessageAttributes": attrs, "MessageId": parsed.get("MessageId")}
        (folder / f"{attrs['notification_id']}.sns.json").write_text(json.dumps(record, indent=2) + "\n")

    session.events.register("before-parameter-build.sns.Publish", remember, unique_id="local-sns-remember")
    session.events.register("after-call.sns.Publish", write, unique_id="local-sns-write")

    def uninstall() -> None:
        session.events.unregister("before-parameter-build.sns.Publish", unique_id="local-sns-remember")
        session.events.unregister("after-call.sns.Publish", unique_id="local-sns-write")

    return uninstall
