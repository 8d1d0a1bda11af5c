"""Text from strangers, made safe to show to someone else. Pure functions.

Names, bios and screen names come from forged archives and from profiles anyone can edit.
Before such text reaches another user's chat or file it loses every character that can
fake a line, reorder what follows or hide a look-alike (threat model §4.10):

* C0 and C1 controls, U+2028 and U+2029 (line breaks and separators);
* bidi controls: U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069;
* zero-width and invisible format characters: U+200B–U+200D, U+2060–U+2064, U+FEFF, and
  every other format character (Unicode category Cf: soft hyphen, tags, interlinear
  annotations...), the blank Hangul fillers, and lone surrogates (which no file can encode).

What is left is clipped to a length. A name that holds right-to-left letters is then
wrapped by `isolate` in a first-strong isolate (U+2068 … U+2069), which the bot adds itself,
so parentheses and punctuation around it keep their order in left-to-right clients.
"""

from __future__ import annotations

import re
import unicodedata

import regex  # type: ignore[import-untyped]

# X's rule for usernames: letters, digits and underscores, at most 15 characters.
X_SCREEN_NAME = re.compile(r"[A-Za-z0-9_]{1,15}")

_INVISIBLE = regex.compile(r"[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]")
_SPACES = re.compile(r"\s+")
_FIRST_STRONG_ISOLATE, _POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"
_RTL_CLASSES = frozenset({"R", "AL"})
ELLIPSIS = "…"

NAME_LIMIT = 64  # display names (X allows 50, Bluesky 64 graphemes)
TEXT_LIMIT = 300  # a bio or a quoted line


def is_x_screen_name(value: str | None) -> bool:
    """Whether `value` can be an X username (without the ``@``)."""
    return bool(value) and X_SCREEN_NAME.fullmatch(value or "") is not None


def x_screen_name(value: str | None) -> str | None:
    """`value` without a leading ``@`` when it follows X's rule, otherwise None."""
    name = (value or "").strip().removeprefix("@")
    return name if is_x_screen_name(name) else None


def clean(text: str | None, limit: int = TEXT_LIMIT) -> str:
    """One line of visible text: no controls or invisible characters, at most `limit`."""
    if not text:
        return ""
    text = text[: limit * 4]  # bound the work before the regular expressions run
    text = _SPACES.sub(" ", _INVISIBLE.sub(" ", text)).strip()
    if len(text) > limit:
        text = text[: max(0, limit - 1)].rstrip() + ELLIPSIS
    return text


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in text)


def isolate(text: str) -> str:
    """`text` in a first-strong isolate when it holds right-to-left letters."""
    if text and has_rtl(text):
        return f"{_FIRST_STRONG_ISOLATE}{text}{_POP_DIRECTIONAL_ISOLATE}"
    return text


def display(text: str | None, limit: int = NAME_LIMIT) -> str:
    """A stranger's name ready to show: cleaned, clipped, isolated when right-to-left."""
    return isolate(clean(text, limit))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
