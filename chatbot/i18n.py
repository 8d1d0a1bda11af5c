"""Translations: gettext catalogs in `locales/<lang>/LC_MESSAGES/*.po`, read with Babel.

Messages are identified by stable keys (``summary.title``) and carry named
placeholders (``{count}``). Each concern keeps its own catalog file (domain), and all
domains of a language are merged at load time. The locale is chosen per event
(`negotiate`) and carried by the handler context, never held process-wide.
"""

from __future__ import annotations

import datetime as dt
import gettext
import string
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from chatbot.config import SUPPORTED_LANGUAGES, Language

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

Message = str | tuple[str, ...]


class MissingTranslation(KeyError):
    """A key is absent from a catalog (a bug: the locale test catches these)."""


@cache
def load_catalog(language: str, locales_dir: Path = LOCALES_DIR) -> Mapping[str, Message]:
    """Every message of one language, from all its `.po` domains."""
    messages: dict[str, Message] = {}
    for catalog in _catalogs(language, locales_dir):
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            if key in messages:
                raise ValueError(f"message {key!r} defined twice ({catalog.domain}.po)")
            value = message.string
            if isinstance(value, (list, tuple)):
                messages[key] = tuple(str(form or "") for form in value)
            else:
                messages[key] = value or ""
    return messages


def _catalogs(language: str, locales_dir: Path) -> list[Catalog]:
    folder = locales_dir / language / "LC_MESSAGES"
    catalogs = []
    for po_path in sorted(folder.glob("*.po")):
        with po_path.open("rb") as handle:
            catalogs.append(read_po(handle, locale=language, domain=po_path.stem))
    return catalogs


@cache
def plural_rule(language: str) -> Callable[[int], int]:
    """The gettext plural-form selector of a language (index into msgstr[])."""
    return gettext.c2py(Catalog(locale=language).plural_expr)


def placeholders(text: str) -> set[str]:
    """The named placeholders of a message (``{count}`` -> ``count``)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def negotiate(stored: str | None, hint: str | None, default: Language = "en") -> Language:
    """Pick a supported language: the user's choice, then the client's hint, then default."""
    for candidate in (stored, hint):
        if not candidate:
            continue
        short = candidate.replace("_", "-").split("-")[0].lower()
        for language in SUPPORTED_LANGUAGES:
            if short == language:
                return language
    return default


class Translator:
    """Formats messages in one language. Numbers and dates follow the locale's rules."""

    def __init__(self, language: Language, locales_dir: Path = LOCALES_DIR) -> None:
        self.language: Language = language
        self.locale = Locale.parse(language)
        self._messages = load_catalog(language, locales_dir)

    def __call__(self, key: str, /, **params: object) -> str:
        """The message `key`, formatted with `params`. A message with plural forms takes
        the form that fits an integer `count` (as `plural` does)."""
        message = self._lookup(key)
        count = params.get("count")
        if isinstance(message, str):
            text = message
        elif isinstance(count, int) and not isinstance(count, bool):
            text = message[min(plural_rule(self.language)(count), len(message) - 1)]
        else:
            text = message[0]
        return self._format(text, params)

    def plural(self, key: str, count: int, /, **params: object) -> str:
        """The plural form of `key` that fits `count` (also passed as ``{count}``)."""
        message = self._lookup(key)
        if isinstance(message, str):
            text = message
        else:
            index = plural_rule(self.language)(count)
            text = message[min(index, len(message) - 1)]
        return self._format(text, {"count": count, **params})

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, value: float) -> str:
        return format_percent(value, locale=self.locale, format="#,##0.#%")

    def date(self, value: dt.date | dt.datetime, fmt: str = "long") -> str:
        day = value.date() if isinstance(value, dt.datetime) else value
        text = format_date(day, format=fmt, locale=self.locale)
        if self.language == "fr" and day.day == 1 and text.startswith("1 "):
            return "1er " + text[2:]  # French writes the first of the month "1er mars"
        return text

    def datetime(self, value: dt.datetime, fmt: str = "medium") -> str:
        return format_datetime(value, format=fmt, locale=self.locale, tzinfo=dt.UTC)

    def _lookup(self, key: str) -> Message:
        try:
            message = self._messages[key]
        except KeyError:
            raise MissingTranslation(f"{key!r} has no {self.language} translation") from None
        if not message:
            raise MissingTranslation(f"{key!r} is empty in {self.language}")
        return message

    def _format(self, text: str, params: Mapping[str, object]) -> str:
        shown: dict[str, object] = {}
        for name, value in params.items():
            if isinstance(value, bool):
                shown[name] = value
            elif isinstance(value, (int, float)):
                shown[name] = self.number(value)
            elif isinstance(value, (dt.date, dt.datetime)):
                shown[name] = self.date(value)
            else:
                shown[name] = value
        return text.format_map(shown)


@cache
def translator(language: Language) -> Translator:
    """A cached translator for one language."""
    return Translator(language)
