"""The budget check's own records in the project table (chalicelib/core/store/table.py):

  BUDGETRUN#<run_id> / CLIENT#<client_id>                           -> one client's outcome in one check
  BUDGET#<client_id> / <budget key>#<period start>#<threshold key>  -> a crossing's claim: notification id, claimed at
  BUDGET#<client_id> / OUTBOX#<notification id>                     -> a notification not yet queued

Once per crossing: each threshold crossing is announced exactly once, also when its first
announcement failed. The client's partition holds the claims and, until it is queued, the
announcement that goes with them (an outbox).

`claim_new` claims the crossed thresholds nobody claimed yet and writes the notification announcing
them in ONE transaction: the claims and their announcement exist together or not at all. A rerun, a
retry or the next day finds the claims and claims nothing again; a new period (or a changed amount,
a new budget key) re-arms the thresholds.

`announce_pending` then queues every announcement still in the client's outbox (this check's, and
any an earlier one could not queue: SQS down through every retry, a crash before the queue), in the
order claimed, and removes each once queued. Its notification id is stable (derived from what it
announces), so queueing it again after a half-done attempt is harmless: the notify ledger queues an
id once and its consumer sends it once per channel. A crossing left pending yesterday and a new one
today are two notifications: yesterday's as it was written (the figures of its day), today's with
today's; each goes out once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from chalicelib.budgets.contracts import ClientOutcome
from chalicelib.core.constants import PK_BUDGET_PREFIX, PK_BUDGET_RUN_PREFIX, TTL_ATTRIBUTE
from chalicelib.core.errors import CostReportError, DataValidationError, ThrottlingError, classify_aws_error
from chalicelib.core.models import BudgetThreshold
from chalicelib.core.notifications import Notification
from chalicelib.core.periods import utcnow
from chalicelib.core.store import table

RETENTION_DAYS = 400  # longer than a yearly budget's period
OUTBOX = "OUTBOX#"
MAX_CLAIM_ATTEMPTS = 3  # another check claiming the same budget at the same time: read again, at most this often


# ---- each client's outcome in a check ----------------------------------------------------------------


def put_outcome(run_id: str, outcome: ClientOutcome, **extra: Any) -> None:
    """BUDGETRUN#<run_id> / CLIENT#<client_id>: the client's latest outcome in this check."""
    attrs = {k: v for k, v in {**outcome.model_dump(mode="json"), **extra}.items() if v not in (None, "", [])}
    item = {"pk": f"{PK_BUDGET_RUN_PREFIX}{run_id}", "sk": f"CLIENT#{outcome.client_id}", **attrs,
            "updated_at": utcnow().isoformat()}
    with table.translated("record budget check outcome"):
        table.table().put_item(Item=item)


def outcomes(run_id: str) -> Iterator[dict[str, Any]]:
    return table.query("read budget check outcomes", KeyConditionExpression="pk = :pk", ConsistentRead=True,
                       ExpressionAttributeValues={":pk": f"{PK_BUDGET_RUN_PREFIX}{run_id}"})


# ---- once per crossing -------------------------------------------------------------------------------


class Announcement(NamedTuple):
    notification_id: str
    crossed: list[str]  # "<budget key>:<threshold key>" for each threshold it announces
    queued_now: bool  # False: an earlier attempt had already put it on the queue


def crossing_key(client_id: str, budget_key: str, period_start: str, threshold_key: str) -> dict[str, str]:
    return {"pk": f"{PK_BUDGET_PREFIX}{client_id}", "sk": f"{budget_key}#{period_start}#{threshold_key}"}


def claim_new(client_id: str, budget_key: str, period_start: str, crossed: list[BudgetThreshold],
              announce: Callable[[list[BudgetThreshold]], Notification]) -> list[BudgetThreshold]:
    """Claim the crossed thresholds not claimed before, together with `announce(new thresholds)`,
    the notification announcing them; the thresholds claimed now ([] when none is new)."""
    for _ in range(MAX_CLAIM_ATTEMPTS):
        claimed = _claimed_threshold_keys(client_id, budget_key, period_start)
        new = [threshold for threshold in crossed if threshold.key not in claimed]
        if not new:
            return []
        notification = announce(new)
        try:
            table.transact_put(_claim_items(client_id, budget_key, period_start, new, notification))
            return new
        except Exception as exc:
            if not table.cancelled_by_condition(exc):  # another check claimed one first: read again
                raise classify_aws_error(exc, "claim budget crossings") from exc
    raise ThrottlingError(f"budget {budget_key} of {client_id}: its crossings were claimed by another check "
                          f"{MAX_CLAIM_ATTEMPTS} times while this one claimed them; retried")


def announce_pending(client_id: str, enqueue: Callable[[Notification], bool]) -> list[Announcement]:
    """Queue every announcement of the client still in its outbox, oldest first, removing each once
    queued. When one cannot be queued the others still are; then the first error is raised (the
    branch retries, or fails and the next check queues it)."""
    done: list[Announcement] = []
    errors: list[CostReportError] = []
    for item in sorted(_outbox(client_id), key=lambda item: (item.get("claimed_at", ""), item["sk"])):
        try:
            notification = _stored_notification(item)
            queued_now = enqueue(notification)
            _remove(item)
        except CostReportError as exc:
            errors.append(exc)
            continue
        done.append(Announcement(notification.notification_id, [f"{item['budget_key']}:{key}" for key in item["thresholds"]],
                                 queued_now))
    if errors:
        raise errors[0]
    return done


def _claimed_threshold_keys(client_id: str, budget_key: str, period_start: str) -> set[str]:
    prefix = f"{budget_key}#{period_start}#"
    return {item["sk"][len(prefix):] for item in _query(client_id, prefix)}


def _outbox(client_id: str) -> list[dict[str, Any]]:
    return list(_query(client_id, OUTBOX))


def _query(client_id: str, sk_prefix: str) -> list[dict[str, Any]]:
    return list(table.query("read budget crossings", KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                            ConsistentRead=True,
                            ExpressionAttributeValues={":pk": f"{PK_BUDGET_PREFIX}{client_id}", ":prefix": sk_prefix}))


def _claim_items(client_id: str, budget_key: str, period_start: str, new: list[BudgetThreshold],
                 notification: Notification) -> list[dict[str, Any]]:
    """The claims and their announcement: written together (attribute_not_exists each) or not at all."""
    common = {"notification_id": notification.notification_id, "claimed_at": utcnow().isoformat(),
              TTL_ATTRIBUTE: table.expiry(RETENTION_DAYS)}
    items = [{**crossing_key(client_id, budget_key, period_start, threshold.key), **common} for threshold in new]
    items.append({"pk": f"{PK_BUDGET_PREFIX}{client_id}", "sk": f"{OUTBOX}{notification.notification_id}", **common,
                  "budget_key": budget_key, "period_start": period_start, "thresholds": [t.key for t in new],
                  "notification": notification.model_dump_json()})
    return items


def _stored_notification(item: dict[str, Any]) -> Notification:
    from pydantic import ValidationError

    try:
        return Notification.model_validate_json(item["notification"])
    except ValidationError as exc:  # written by an older version of the notification contract
        from chalicelib.core.models import describe_validation_error

        raise DataValidationError(f"budget announcement {item['sk'][len(OUTBOX):]} of {item['pk'][len(PK_BUDGET_PREFIX):]} "
                                  f"cannot be read: {describe_validation_error(exc)}") from exc


def _remove(item: dict[str, Any]) -> None:
    with table.translated("record budget announcement queued"):
        table.table().delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
