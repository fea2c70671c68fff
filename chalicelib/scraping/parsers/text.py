"""HTML (EDGAR `<DOCUMENT>` wrappers included) to plain text with one line per block element."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "center", "hr", "title"}
_SKIP_TAGS = {"script", "style", "head"}
# Typographic spaces EDGAR filers use as blanks on preliminary covers (em space, figure space, thin space...).
_SPACES = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\t\f\v]+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            # a line break inside a block is only source formatting
            self.parts.append(data.replace("\r", " ").replace("\n", " "))


def html_to_text(document: str) -> str:
    """Visible text, block elements on their own lines, runs of spaces collapsed."""
    if "<" not in document:
        return normalise_spaces(document)
    extractor = _TextExtractor()
    extractor.feed(document)
    extractor.close()
    return normalise_spaces("".join(extractor.parts))


def normalise_spaces(text: str) -> str:
    text = _SPACES.sub(" ", text)
    lines = (re.sub(r" {2,}", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
