"""Local send times: when a client with a `send_hour` (in its `timezone`) gets the report of a period.

Periods stay UTC days, as Cost Explorer and the billing exports count them; only the moment of
sending is local. The hourly schedule fires once per UTC hour slot (`slot`: the hour, UTC, on the
hour), and every rule below is a pure function of the slot, the client's zone and its send hour:

  crossing   a slot whose local time is at or after send_hour:00 while the slot before it was
             earlier on the same local date (or on the day before): one per local day, also when
             DST skips that hour (the first slot after it) or repeats it (only the first time);
             in a zone with a non-whole-hour offset it is the first slot after send_hour:00
             (09:30 in India for send_hour 9)
  send_slot(as_of)
             the first crossing at or after as_of 00:00 UTC: the one slot at which the client's
             report for `as_of` (its periods end before as_of, UTC) goes out. Each as_of has exactly
             one, and periods are complete by then, so every period is sent once and none skipped,
             across DST changes; a 25-hour local day may give two as_of the same slot (both sent)
  as_of_candidates(slot)
             the as_of dates whose send slot can be this slot, for any zone: the slot's own UTC
             date, and the day before in the first hours after midnight (a crossing is never more
             than 24 hours plus the largest DST shift after the previous one)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)
# A local day lasts at most 24 h plus the largest DST shift in use (2 h): a crossing follows its
# predecessor within 26 h, so a send slot is less than 26 h after its as_of's start.
LONGEST_GAP_HOURS = 26
EARLY_HOURS = LONGEST_GAP_HOURS - 24  # slots at 00:00..01:00 UTC may still send the day before's as_of


def slot_of(moment: datetime) -> datetime:
    """The UTC hour slot holding `moment`."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def is_crossing(slot: datetime, zone: str, send_hour: int) -> bool:
    tz = _zone(zone)
    now, before = slot.astimezone(tz), (slot - HOUR).astimezone(tz)
    due = time(send_hour)
    return now.time() >= due and (before.date() < now.date() or before.time() < due)


def send_slot(as_of: date, zone: str, send_hour: int) -> datetime:
    """The one slot at which a client sends its report for `as_of`."""
    slot = datetime.combine(as_of, time(0), tzinfo=UTC)
    for _ in range(LONGEST_GAP_HOURS + 1):  # bounded: a crossing comes within a local day
        if is_crossing(slot, zone, send_hour):
            return slot
        slot += HOUR
    raise ValueError(f"no {send_hour}:00 in {zone} within {LONGEST_GAP_HOURS} h of {as_of}")


def as_of_candidates(slot: datetime) -> list[date]:
    slot = slot_of(slot)
    return [slot.date() - timedelta(days=1), slot.date()] if slot.hour < EARLY_HOURS else [slot.date()]


def due_now(slot: datetime, as_of: date, zone: str | None, send_hour: int) -> bool:
    """Whether a client's report for `as_of` goes out in this slot."""
    return send_slot(as_of, zone or "UTC", send_hour) == slot_of(slot)


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def known_zone(name: str) -> str:
    """`name` when it is an IANA time zone, else ValueError naming it."""
    from zoneinfo import ZoneInfoNotFoundError

    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(f"{name!r} is not an IANA time zone name such as Europe/Paris")
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{name!r} is not an IANA time zone name such as Europe/Paris") from None
    return name
