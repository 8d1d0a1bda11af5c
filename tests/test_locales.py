"""Every message exists in every language with the same placeholders; code uses known keys."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest

from chatbot.config import SUPPORTED_LANGUAGES
from chatbot.i18n import LOCALES_DIR, Translator, load_catalog, negotiate, placeholders

ROOT = Path(__file__).resolve().parent.parent
KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


def _texts(message: str | tuple[str, ...]) -> tuple[str, ...]:
    return (message,) if isinstance(message, str) else message


def test_every_language_has_every_message_with_the_same_placeholders() -> None:
    catalogs = {lang: load_catalog(lang) for lang in SUPPORTED_LANGUAGES}
    reference = catalogs["en"]
    assert reference, "the English catalog is empty"
    for lang, catalog in catalogs.items():
        assert set(catalog) == set(reference), (
            f"{lang}: missing {sorted(set(reference) - set(catalog))}, "
            f"extra {sorted(set(catalog) - set(reference))}"
        )
        for key, message in catalog.items():
            texts = _texts(message)
            assert all(text.strip() for text in texts), f"{lang}: {key} has an empty form"
            expected = set().union(*(placeholders(t) for t in _texts(reference[key])))
            for text in texts:
                found = placeholders(text)
                # a plural form may leave out {count} (e.g. "one post"), nothing else
                assert found <= expected and expected - found <= {"count"}, (
                    f"{lang}: {key} has placeholders {found}, English has {expected}"
                )


def test_catalog_files_are_the_same_in_every_language() -> None:
    names = {
        lang: sorted(p.name for p in (LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po"))
        for lang in SUPPORTED_LANGUAGES
    }
    assert len({tuple(v) for v in names.values()}) == 1, names


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
        if isinstance(node, ast.JoinedStr):  # f"archive.error.{code}": check the prefix
            first = node.values[0] if node.values else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value + "*")
    return found


def test_code_refers_only_to_existing_messages() -> None:
    catalog = load_catalog("en")
    domains = {key.split(".", 1)[0] for key in catalog}
    missing = []
    for folder in ("chatbot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            for value in _string_constants(path):
                if value.endswith(("*", ".")) and KEY.match(value[:-1]):
                    prefix = value.removesuffix("*")  # f"x.{y}", or "x." a prefix passed on
                    if prefix.split(".", 1)[0] in domains and not any(
                        key.startswith(prefix) for key in catalog
                    ):
                        missing.append(f"{path.relative_to(ROOT)}: {value}")
                    continue
                if KEY.match(value) and value.split(".", 1)[0] in domains and value not in catalog:
                    missing.append(f"{path.relative_to(ROOT)}: {value}")
    assert not missing, "keys used in code but absent from the catalogs:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    ("stored", "hint", "expected"),
    [
        ("fr", "en-US", "fr"),
        (None, "fr-CA", "fr"),
        (None, "fr_FR.UTF-8", "fr"),
        (None, "de", "en"),
        (None, None, "en"),
        ("xx", "C.UTF-8", "en"),
    ],
)
def test_language_negotiation(stored: str | None, hint: str | None, expected: str) -> None:
    assert negotiate(stored, hint) == expected


def test_numbers_dates_and_plurals_follow_the_language() -> None:
    en, fr = Translator("en"), Translator("fr")
    assert en.plural("summary.followers", 1) == "• 1 follower"
    assert en.plural("summary.followers", 1_000_000) == "• 1,000,000 followers"
    assert fr.plural("summary.followers", 1) == "• 1 abonné"
    assert fr.plural("summary.followers", 0) == "• 0 abonné"
    assert fr.plural("summary.followers", 2500) == "• 2\u202f500 abonnés"
    assert fr("summary.created", date=dt.date(2013, 5, 2)) == "Compte créé le 2 mai 2013"
    assert en("summary.created", date=dt.date(2013, 5, 2)) == "Account created on May 2, 2013"


def test_french_typography_is_consistent() -> None:
    """Typographic apostrophes, and a (narrow) no-break space or a space before « : ; ? ! »."""
    for key, message in load_catalog("fr").items():
        for text in _texts(message):
            assert not re.search(r"[A-Za-zÀ-ÿ]'[A-Za-zÀ-ÿ]", text), f"{key}: use ’ in {text!r}"
            bare = re.search(r"[A-Za-zÀ-ÿ0-9»)][;?!]", text)
            assert not bare, f"{key}: space missing before {bare.group()!r} in {text!r}"
