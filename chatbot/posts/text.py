"""A tweet's text as Bluesky post texts with rich-text facets (pure functions, no I/O).

Bluesky counts a post's length in graphemes (at most 300) and UTF-8 bytes (at most 3000);
facets point into the text by UTF-8 byte offsets, end exclusive
(``app.bsky.richtext.facet``). `compose` expands X's t.co links, shows links short like
the Bluesky app, marks known mentions and hashtags, and splits a long text into a thread.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import regex  # type: ignore[import-untyped]

GRAPHEME_LIMIT = 300
BYTE_LIMIT = 3000
TAG_GRAPHEME_LIMIT = 64
TAG_BYTE_LIMIT = 640
SHORT_LINK_LENGTH = 30
TAIL_SHARE = 0.3  # a paragraph or sentence end is looked for in the last 30 % of a chunk

FacetKind = Literal["link", "mention", "tag"]
_FEATURES: dict[str, tuple[str, str]] = {
    "link": ("app.bsky.richtext.facet#link", "uri"),
    "mention": ("app.bsky.richtext.facet#mention", "did"),
    "tag": ("app.bsky.richtext.facet#tag", "tag"),
}
_URL = r"(?<![\w/@.])(?i:https?://)(?:(?!{stop})[^\s<>\"])+"
_MENTION = r"(?<![\w!@#$%&*])@(?P<name>[A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@])"
_WORD = r"[\p{L}\p{M}\p{N}_]"
_TAG = rf"(?<![\p{{L}}\p{{M}}\p{{N}}_&#])[#＃](?P<tag>(?={_WORD}*[\p{{L}}\p{{M}}_]){_WORD}+)"
_TRAILING = ".,;:!?)'\"”’»…"
_SHOWN_TAIL = "/?&#=.-_,;:"
_SENTENCE = regex.compile(r"[.!?…][\"'”’»)]*(?=\s)")
_GRAPHEME = regex.compile(r"\X", regex.DOTALL)
_PRIVATE_LANGS = frozenset({"und", "zxx", "mul", "mis", "art"})
_OLD_LANGS = {"in": "id", "iw": "he", "ji": "yi"}
_LANG = re.compile(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}|[0-9]{3}|[A-Za-z]{4}))?")


@dataclass(frozen=True)
class Facet:
    """One rich-text feature over ``text.encode()[start:end]``."""

    start: int  # UTF-8 byte offset, inclusive
    end: int  # exclusive
    kind: FacetKind
    value: str  # the URI, the DID, or the tag without '#'

    def to_record(self) -> dict[str, Any]:
        type_, key = _FEATURES[self.kind]
        return {
            "$type": "app.bsky.richtext.facet",
            "index": {"byteStart": self.start, "byteEnd": self.end},
            "features": [{"$type": type_, key: self.value}],
        }


@dataclass(frozen=True)
class PostText:
    """The text of one post and its facets (byte offsets into this text)."""

    text: str
    facets: tuple[Facet, ...] = ()

    def record_facets(self) -> list[dict[str, Any]]:
        return [facet.to_record() for facet in self.facets]


@dataclass(frozen=True)
class _Span:
    start: int  # character offsets in the composed text
    end: int
    kind: FacetKind
    value: str


def graphemes(text: str) -> int:
    """The number of extended grapheme clusters, as Bluesky counts a post's length."""
    return len(_GRAPHEME.findall(text))


def post_langs(lang: str | None) -> list[str]:
    """X's ``lang`` as a post's ``langs`` (``["fr"]``), empty when X had no language."""
    match = _LANG.fullmatch(lang or "")
    if not match:
        return []
    code = match[1].lower()
    if code in _PRIVATE_LANGS or re.fullmatch(r"q[a-t][a-z]", code):
        return []
    code = _OLD_LANGS.get(code, code)
    sub = match[2]
    if sub:
        code += "-" + (sub.title() if len(sub) == 4 else sub.upper())
    return [code]


def short_link(url: str) -> str:
    """How the Bluesky app shows a link: host without ``www.`` and path, <= 30 chars."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2].lower().removeprefix("www.")
        path = "" if parts.path == "/" else parts.path
        shown = host + path + (f"?{parts.query}" if parts.query else "")
        shown += f"#{parts.fragment}" if parts.fragment else ""
    except ValueError:
        shown = url.partition("://")[2]
    if not shown:
        shown = url
    if len(shown) <= SHORT_LINK_LENGTH:
        return shown
    return shown[: SHORT_LINK_LENGTH - 1].rstrip(_SHOWN_TAIL) + "…"


def compose(
    text: str,
    *,
    urls: Sequence[tuple[str, str]] = (),
    drop_links: Collection[str] = (),
    mentions: Mapping[str, str] | None = None,
    limit: int = GRAPHEME_LIMIT,
    byte_limit: int = BYTE_LIMIT,
) -> list[PostText]:
    """One tweet's text as one post, or as several (a thread) when it is too long.

    Args:
        text: The tweet's full text, HTML-unescaped.
        urls: ``(t.co link, expanded url)`` pairs from the tweet's entities.
        drop_links: t.co links of attached media, removed from the text.
        mentions: Lower-case X screen name to Bluesky DID, for the mentions to keep.
        limit: Most graphemes per post.
        byte_limit: Most UTF-8 bytes per post.

    Returns:
        At least one `PostText`; ``[PostText("")]`` when nothing but media links was left.
    """
    for link in drop_links:
        if link:
            text = _drop(text, link)
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text)
    if not text:
        return [PostText("")]
    shown, spans = _rich(text, dict(urls), {k.lower(): v for k, v in (mentions or {}).items()})
    return [
        _post(shown, spans, start, end) for start, end in _split(shown, spans, limit, byte_limit)
    ]


def _drop(text: str, link: str) -> str:
    pattern = re.compile(r"[ \t]*" + re.escape(link) + r"(?![A-Za-z0-9/])[ \t]*")

    def replace(match: re.Match[str]) -> str:
        before, after = text[: match.start()], text[match.end() :]
        inside = before and not before.endswith("\n") and after and not after.startswith("\n")
        return " " if inside else ""

    return pattern.sub(replace, text)


def _trim_url(url: str) -> str:
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _rich(
    text: str, expansions: dict[str, str], mentions: dict[str, str]
) -> tuple[str, list[_Span]]:
    """The shown text (expanded, shortened links) and its facet spans."""
    known = sorted((t for t in expansions if t), key=len, reverse=True)
    tco = "|".join(re.escape(t) for t in known)
    stop = rf"(?:{tco})(?![A-Za-z0-9])" if known else r"(?!)"
    parts = [rf"(?P<tco>{stop})"] if known else []
    parts += [rf"(?P<url>{_URL.format(stop=stop)})", _MENTION, _TAG]
    scanner = regex.compile("|".join(parts))
    out: list[str] = []
    spans: list[_Span] = []
    length = pos = 0
    for match in scanner.finditer(text):
        if match.start() < pos:
            continue
        token, kind, value, end = match[0], "", "", match.end()
        if match.lastgroup == "tco" or (match.lastgroup == "url" and match["url"]):
            url = match[0] if match.lastgroup == "tco" else _trim_url(match[0])
            end = match.start() + len(url)
            target = expansions.get(url, url)
            if not re.match(r"(?i)https?://[^\s]", target):
                target = url
            if re.match(r"(?i)https?://[^\s]", url):
                token, kind, value = short_link(target), "link", target
        elif match["name"] is not None:
            did = mentions.get(match["name"].lower())
            if did:
                kind, value = "mention", did
        elif match["tag"] is not None:
            tag = match["tag"]
            if graphemes(tag) <= TAG_GRAPHEME_LIMIT and len(tag.encode()) <= TAG_BYTE_LIMIT:
                kind, value = "tag", tag
        if not kind:
            continue
        before = text[pos : match.start()]
        out += [before, token]
        length += len(before)
        spans.append(_Span(length, length + len(token), kind, value))  # type: ignore[arg-type]
        length += len(token)
        pos = end
    out.append(text[pos:])
    return "".join(out), spans


def _split(text: str, spans: list[_Span], limit: int, byte_limit: int) -> list[tuple[int, int]]:
    """Character ranges of the chunks, each within both limits once stripped."""
    if graphemes(text) <= limit and len(text.encode()) <= byte_limit:
        return [(0, len(text))]
    bounds = [m.start() for m in _GRAPHEME.finditer(text)] + [len(text)]
    sizes = [0]
    for left, right in itertools.pairwise(bounds):
        sizes.append(sizes[-1] + len(text[left:right].encode()))
    inside = [False] * (len(text) + 1)
    for span in spans:
        for i in range(span.start + 1, span.end):
            inside[i] = True
    chunks: list[tuple[int, int]] = []
    first = 0  # index into bounds
    while first < len(bounds) - 1:
        if text[bounds[first]].isspace():
            first += 1
            continue
        last = min(first + limit, bisect.bisect_right(sizes, sizes[first] + byte_limit) - 1)
        if last >= len(bounds) - 1:
            chunks.append((bounds[first], len(text)))
            break
        cut = _cut(text, bounds, first, last, inside)
        chunks.append((bounds[first], bounds[cut]))
        first = cut
    return [(s, s + len(text[s:e].rstrip())) for s, e in chunks if text[s:e].strip()]


def _cut(text: str, bounds: list[int], first: int, last: int, inside: list[bool]) -> int:
    """Index in ``bounds`` where the chunk ``bounds[first:last]`` is best cut."""
    start, end = bounds[first], bounds[last]
    window = text[start:end]
    if end < len(text) and text[end].isspace():
        window = text[start : end + 1]  # a cut right at the limit is a word boundary
    tail = start + int(len(window) * (1 - TAIL_SHARE))
    candidates: list[int] = []
    paragraph = window.rfind("\n\n")
    if paragraph >= 0:
        candidates.append(start + paragraph)
    candidates += [start + m.end() for m in _SENTENCE.finditer(window)][-1:]
    for cut in candidates:
        if cut > tail:
            return _index(bounds, cut, first)
    spaces = [start + i for i, char in enumerate(window) if char.isspace()]
    for cut in reversed(spaces):
        if cut > start and not inside[cut]:
            return _index(bounds, cut, first)
    for index in range(last, first, -1):  # one word longer than the limit
        if not inside[bounds[index]]:
            return index
    return last


def _index(bounds: list[int], offset: int, first: int) -> int:
    index = bisect.bisect_left(bounds, offset)
    return max(index, first + 1)


def _post(text: str, spans: list[_Span], start: int, end: int) -> PostText:
    chunk = text[start:end]
    facets = []
    for span in spans:
        if span.start >= start and span.end <= end:
            byte_start = len(chunk[: span.start - start].encode())
            byte_end = byte_start + len(text[span.start : span.end].encode())
            facets.append(Facet(byte_start, byte_end, span.kind, span.value))
    return PostText(chunk, tuple(facets))
