"""Untrusted text on its way to a reader: the one rule for control and bidi characters, and the one
way to cut escaped text to a platform's length limit.

`neutralise` is what every output applies to text it did not write (client, service and account
names, tags, scraped text): email headers through `header_safe` (chalicelib/core/email.py), every
notification channel's payload (chalicelib/notify/channels/), and config validation refuses
header-bound fields with `has_control_chars` (the same definition).

`fit` cuts AFTER escaping: a platform counts the characters it receives, and escaping can make a
text several times longer (`&` is `&amp;` in Slack). It never cuts an escape sequence, a character
or an emoji sequence in half, and counts UTF-16 code units (what JavaScript-based platforms count;
never fewer than Python's code points).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator

# Characters that break a line or a header: C0/C1 controls (CR, LF, TAB, NUL, NEL, ...), lone
# surrogates, and the Unicode line and paragraph separators.
CONTROL_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Valid in a name, but they reorder what follows on the line (a figure, a date, a link text):
# ALM, LRM, RLM, the embeddings and overrides (U+202A-U+202E) and the isolates (U+2066-U+2069).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ELLIPSIS = "\u2026"
_ZWJ = "\u200d"


def is_control_char(ch: str) -> bool:
    return unicodedata.category(ch) in CONTROL_CATEGORIES


def has_control_chars(value: str) -> bool:
    return any(is_control_char(ch) for ch in value)


def neutralise(text: str) -> str:
    """The text with every control character and bidi control replaced by one space: shown as one
    line, in the order it was written. Other format characters (ZWJ in emoji and in scripts that
    need it) are kept."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(" " if ch in BIDI_CONTROLS or is_control_char(ch) else ch for ch in text)


def utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _extends(ch: str) -> bool:
    """Characters that belong to the one before: combining marks, variation selectors, emoji skin
    tones, tag characters (subdivision flags) and the keycap mark."""
    code = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF
            or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F or code == 0x20E3)


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def clusters(text: str) -> Iterator[str]:
    """What a reader sees as one character (close enough to Unicode's grapheme clusters for cutting):
    a base with its marks, a ZWJ emoji sequence, a flag (two regional indicators)."""
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        if _is_regional_indicator(text[i]) and j < n and _is_regional_indicator(text[j]):
            j += 1
        while j < n:
            if _extends(text[j]):
                j += 1
            elif text[j] == _ZWJ:
                j += 2 if j + 1 < n else 1
            else:
                break
        yield text[i:j]
        i = j


def fit(text: str, limit: int, escape: Callable[[str], str] = lambda s: s) -> str:
    """`text` neutralised, escaped with `escape` and cut to at most `limit` UTF-16 code units, with
    an ellipsis when cut. Each cluster is escaped on its own, so a cut never splits an escape."""
    text = neutralise(text)
    escaped = escape(text)
    if utf16_len(escaped) <= limit:
        return escaped
    budget = limit - utf16_len(ELLIPSIS)
    kept: list[str] = []
    for cluster in clusters(text):
        piece = escape(cluster)
        size = utf16_len(piece)
        if size > budget:
            break
        kept.append(piece)
        budget -= size
    return "".join(kept) + ELLIPSIS
