"""Yahoo Finance chart JSON (`/v8/finance/chart/<symbol>`): the close on or before as-of, or why there is none."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from chalicelib.scraping.figures import number_problem


class Close(BaseModel):
    symbol: str
    close: float | None
    session: date | None
    reason: str = ""  # why there is no close (no data, an error answer, only null bars, a bad value)


def _no_close(symbol: str, reason: str, session: date | None = None) -> Close:
    return Close(symbol=symbol, close=None, session=session, reason=reason)


def _session(stamp: Any, offset: int) -> date | None:
    """The exchange-local date of a bar's Unix timestamp, None when it is not a time."""
    if number_problem(stamp) or not float(stamp).is_integer():
        return None
    try:
        return (datetime.fromtimestamp(int(stamp), tz=UTC) + timedelta(seconds=offset)).date()
    except (OverflowError, OSError, ValueError):
        return None


def latest_close(document: Any, symbol: str, as_of: date) -> Close:
    """The close of the latest bar dated on or before `as_of`.

    Bars dated after `as_of` are not known on that date and are ignored (a source may ignore the requested
    range). A null close is Yahoo's bar without a trade: the session before it stands. Any other close that
    is not a finite number above zero (0, negative, NaN, a string, a boolean) gives no close and the reason:
    an earlier bar is not used in its place, it would be reported as the latest price. A no-data answer
    (delisted symbol) gives no close with Yahoo's reason, never 0.
    """
    chart = document.get("chart") if isinstance(document, dict) else None
    if not isinstance(chart, dict):
        return _no_close(symbol, "Yahoo chart: no 'chart' object in the answer")
    if chart.get("error"):
        error = chart["error"]
        detail = error.get("description") or error.get("code") if isinstance(error, dict) else error
        return _no_close(symbol, f"Yahoo chart error: {str(detail)[:200]}")
    results = chart.get("result") or []
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        return _no_close(symbol, "Yahoo chart: empty result")
    result = results[0]
    timestamps = result.get("timestamp") or []
    indicators = result.get("indicators")
    quotes = (indicators.get("quote") if isinstance(indicators, dict) else None) or [{}]
    closes = (quotes[0].get("close") or []) if isinstance(quotes, list) and isinstance(quotes[0], dict) else []
    if not isinstance(timestamps, list) or not isinstance(closes, list):
        return _no_close(symbol, f"Yahoo chart {symbol}: 'timestamp' and 'close' are not lists")
    if not timestamps or not closes:
        return _no_close(symbol, f"Yahoo returned no price data for {symbol} (no timestamps/closes: delisted or unknown symbol)")
    if len(timestamps) != len(closes):
        return _no_close(symbol, f"Yahoo chart {symbol}: {len(timestamps)} timestamps but {len(closes)} closes")
    meta = result.get("meta") if isinstance(result.get("meta"), dict) else {}
    offset = meta.get("gmtoffset")
    offset = int(offset) if number_problem(offset) is None and abs(offset) <= 86_400 else 0  # the exchange's UTC offset
    bars = []
    for index, (stamp, close) in enumerate(zip(timestamps, closes, strict=True)):
        session = _session(stamp, offset)
        if session is None:
            return _no_close(symbol, f"Yahoo chart {symbol}: timestamp[{index}] is {stamp!r}, not a Unix time")
        bars.append((session, index, close))
    known = sorted((bar for bar in bars if bar[0] <= as_of), key=lambda bar: (bar[0], bar[1]))
    if not known:
        return _no_close(symbol, f"Yahoo chart {symbol}: no bar dated on or before {as_of} ({len(bars)} bar(s), all later)")
    for session, _, close in reversed(known):
        if close is None:
            continue
        problem = number_problem(close)
        if problem is None and close <= 0:
            problem = "a price must be above 0"
        if problem:
            return _no_close(symbol, f"Yahoo chart {symbol}: the close of {session} is {close!r}: {problem}", session)
        return Close(symbol=symbol, close=round(float(close), 4), session=session)
    return _no_close(symbol, f"Yahoo returned only null closes for {symbol} on or before {as_of}")
