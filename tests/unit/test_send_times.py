"""Local send times (chalicelib/core/send_times.py): each as_of has exactly one send slot, at the
client's local hour, across both DST changes of a zone with DST and in zones with non-whole-hour
offsets; the hourly schedule's candidate as_of dates always include it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.core.send_times import as_of_candidates, is_crossing, send_slot
from tests.factories import client

HOUR = timedelta(hours=1)


def slots_between(start: datetime, end: datetime) -> list[datetime]:
    return [start + HOUR * i for i in range(int((end - start) / HOUR))]


# New York: spring forward 2026-03-08 02:00 -> 03:00, fall back 2026-11-01 02:00 -> 01:00.
# Kolkata +05:30, Kathmandu +05:45, Lord Howe +10:30/+11 (a half-hour DST shift).
ZONES = ["America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "Europe/London", "UTC"]
WINDOWS = [(date(2026, 3, 4), date(2026, 3, 12)), (date(2026, 10, 1), date(2026, 10, 8)),
           (date(2026, 10, 28), date(2026, 11, 5)), (date(2026, 4, 2), date(2026, 4, 8))]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("send_hour", range(24))
def test_every_as_of_is_sent_in_exactly_one_slot_and_at_the_local_hour(zone: str, send_hour: int) -> None:
    for first, last in WINDOWS:
        days = [first + timedelta(days=i) for i in range((last - first).days)]
        sent = {as_of: send_slot(as_of, zone, send_hour) for as_of in days}
        # walk every hour slot as the hourly schedule does: each as_of is sent where its candidates say
        walked: Counter[date] = Counter()
        for slot in slots_between(datetime.combine(first, datetime.min.time(), tzinfo=UTC),
                                  datetime.combine(last + timedelta(days=2), datetime.min.time(), tzinfo=UTC)):
            for as_of in as_of_candidates(slot):
                if as_of in sent and sent[as_of] == slot:
                    walked[as_of] += 1
        assert walked == Counter(dict.fromkeys(days, 1)), (zone, send_hour)
        for as_of, slot in sent.items():
            assert slot >= datetime.combine(as_of, datetime.min.time(), tzinfo=UTC)  # its periods are complete
            local = slot.astimezone(ZoneInfo(zone))
            # at the local hour, or the first slot after it when DST skips it or the offset has minutes
            assert send_hour * 60 <= local.hour * 60 + local.minute < send_hour * 60 + 120, (as_of, local)


def test_new_york_at_nine_follows_the_clock_across_both_changes() -> None:
    zone = "America/New_York"
    assert send_slot(date(2026, 3, 7), zone, 9) == datetime(2026, 3, 7, 14, tzinfo=UTC)  # EST
    assert send_slot(date(2026, 3, 9), zone, 9) == datetime(2026, 3, 9, 13, tzinfo=UTC)  # EDT
    assert send_slot(date(2026, 10, 31), zone, 9) == datetime(2026, 10, 31, 13, tzinfo=UTC)
    assert send_slot(date(2026, 11, 2), zone, 9) == datetime(2026, 11, 2, 14, tzinfo=UTC)


def test_a_skipped_hour_sends_at_the_next_and_a_repeated_hour_sends_once() -> None:
    zone = "America/New_York"
    # 02:00 does not exist on 2026-03-08: the first slot after it, 03:00 EDT (07:00 UTC)
    assert send_slot(date(2026, 3, 8), zone, 2) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    # 01:00 happens twice on 2026-11-01 (05:00 and 06:00 UTC): only the first is a send
    assert is_crossing(datetime(2026, 11, 1, 5, tzinfo=UTC), zone, 1)
    assert not is_crossing(datetime(2026, 11, 1, 6, tzinfo=UTC), zone, 1)


def test_a_half_hour_zone_sends_at_the_first_slot_after_its_hour() -> None:
    # Kolkata is UTC+05:30: 09:00 IST is 03:30 UTC, so the 04:00 UTC slot (09:30 IST)
    assert send_slot(date(2026, 11, 23), "Asia/Kolkata", 9) == datetime(2026, 11, 23, 4, tzinfo=UTC)


def test_the_config_names_a_bad_zone_and_a_zone_without_an_hour() -> None:
    assert client(timezone="Asia/Kolkata", send_hour=9).send_hour == 9
    with pytest.raises(ValueError, match="'Mars/Olympus' is not an IANA time zone"):
        client(timezone="Mars/Olympus", send_hour=9)
    with pytest.raises(ValueError, match="send_hour is required when timezone is set"):
        client(timezone="Europe/Paris")
    with pytest.raises(ValueError, match="send_hour"):
        client(send_hour=24)
