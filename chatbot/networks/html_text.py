"""Plain text from the small HTML fragments networks send (Mastodon bios, oEmbed quotes)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "blockquote", "li"}


class _TextParser(HTMLParser):
    def __init__(self, first_tag: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.first_tag = first_tag  # only the text of the first such element, when given
        self.parts: list[str] = []
        self._depth = 0 if first_tag else 1  # >0 while inside what we keep
        self._done = False
        self._skip = 0  # inside <script>/<style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif self._done:
            return
        elif self.first_tag and tag == self.first_tag:
            self._depth += 1
        elif self._depth and tag == "br":
            self.parts.append("\n")
        elif self._depth and tag in _BLOCKS and self.parts:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and self._depth and not self._done:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif self.first_tag and tag == self.first_tag and self._depth:
            self._depth -= 1
            self._done = self._depth == 0

    def handle_data(self, data: str) -> None:
        if self._depth and not self._done and not self._skip:
            self.parts.append(data)


def html_to_text(fragment: str | None, first_tag: str | None = None) -> str:
    """The visible text of `fragment` (or of its first `first_tag` element), tidied."""
    if not fragment:
        return ""
    parser = _TextParser(first_tag)
    parser.feed(fragment)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
