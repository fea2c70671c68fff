"""Yahoo Finance chart JSON (`/v8/finance/chart/<symbol>`): the latest close, or why there is none."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from pydantic import BaseModel


class Close(BaseModel):
    symbol: str
    close: float | None
    session: date | None
    reason: str = ""  # why there is no close (no data, an error answer, only null bars)


def latest_close(document: Any, symbol: str) -> Close:
    """The last non-null close. A no-data answer (delisted symbol) gives close None with the reason, never 0."""
    chart = document.get("chart") if isinstance(document, dict) else None
    if not isinstance(chart, dict):
        return Close(symbol=symbol, close=None, session=None, reason="Yahoo chart: no 'chart' object in the answer")
    if chart.get("error"):
        error = chart["error"]
        detail = error.get("description") or error.get("code") if isinstance(error, dict) else error
        return Close(symbol=symbol, close=None, session=None, reason=f"Yahoo chart error: {str(detail)[:200]}")
    results = chart.get("result") or []
    if not results or not isinstance(results[0], dict):
        return Close(symbol=symbol, close=None, session=None, reason="Yahoo chart: empty result")
    result = results[0]
    timestamps = result.get("timestamp") or []
    quotes = (result.get("indicators") or {}).get("quote") or [{}]
    closes = quotes[0].get("close") or [] if isinstance(quotes[0], dict) else []
    if not timestamps or not closes:
        return Close(symbol=symbol, close=None, session=None,
                     reason=f"Yahoo returned no price data for {symbol} (no timestamps/closes: delisted or unknown symbol)")
    for stamp, close in reversed(list(zip(timestamps, closes))):
        if close is not None:
            session = datetime.fromtimestamp(int(stamp), tz=timezone.utc).date()
            return Close(symbol=symbol, close=round(float(close), 4), session=session)
    return Close(symbol=symbol, close=None, session=None, reason=f"Yahoo returned only null closes for {symbol}")
