"""What the command-line tools share: the terminal's language, and reading an archive."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from chatbot.archive import ArchiveError, ParsedArchive, read_archive
from chatbot.i18n import Translator, negotiate, translator


def terminal_language_hint() -> str | None:
    """The locale the terminal asks for (LC_ALL, then LC_MESSAGES, then LANG)."""
    return os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")


def terminal_translator(chosen: str | None) -> Translator:
    """`--lang` when given, otherwise the terminal's language, otherwise English."""
    return translator(negotiate(chosen, terminal_language_hint()))


def read_or_explain(paths: Sequence[Path], t: Translator) -> ParsedArchive | None:
    """The archive with its handle hints; None after one translated line on stderr."""
    for path in paths:
        if not path.exists():  # a typo is not "not an X archive"
            print(t("cli.not_found", path=str(path)), file=sys.stderr)
            return None
    try:
        return read_archive(list(paths), hints=True)
    except ArchiveError as exc:
        print(t(f"archive.error.{exc.code}", **exc.params).replace("\n", " "), file=sys.stderr)
    except OSError as exc:
        print(t("cli.cannot_open", path=str(exc.filename or paths[0])), file=sys.stderr)
    return None
