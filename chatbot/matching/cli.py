"""``chatbot match PATH [PATH...] [--directory CSV] [--json] [--offline] [--lang fr|en]``.

Offline, only the directory's rows are matches; handles guessed from X names, which
nothing checked, are listed after them in a section of their own, plainly as unchecked
(in the text output only: the JSON holds matches, and guesses are not matches).

Online, Bluesky is read through a public AppView and Mastodon through one instance's
lookup; the network clients (`chatbot.networks.bluesky.PublicAppView`,
`chatbot.networks.mastodon.MastodonLookup`) are imported only then, under the egress
policy of the configuration (``CHATBOT_EGRESS_ALLOW``). A directory file is read as a
stream and only the rows of the archive's contacts are kept: a million-row file against a
two-million-follower archive stays within a few hundred megabytes.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from chatbot.archive.model import ParsedArchive
from chatbot.config import ConfigError
from chatbot.i18n import Translator
from chatbot.matching.contacts import Contacts
from chatbot.matching.directory import CsvProblem, MemoryDirectory, iter_directory_csv
from chatbot.matching.engine import match_archive
from chatbot.matching.guesses import Guess, unchecked_guesses
from chatbot.matching.model import Match
from chatbot.matching.present import HANDLE_LIMIT, match_json, match_lines
from chatbot.networks.types import NetworkUnavailable
from chatbot.safetext import display, x_screen_name

if TYPE_CHECKING:
    from chatbot.archive.idlist import Ids


def run_match(args: argparse.Namespace) -> int:
    from chatbot.cli_support import read_or_explain, terminal_translator

    t = terminal_translator(args.lang)
    parsed = read_or_explain(args.paths, t)
    if parsed is None:
        return 2
    directory = MemoryDirectory()
    contacts = Contacts.of(parsed)
    for path in args.directory:
        try:
            problems = _load(directory, Path(path), contacts.ids)
        except (OSError, UnicodeDecodeError):
            print(t("cli.cannot_open", path=str(path)), file=sys.stderr)
            return 2
        for problem in problems:
            reason = t(f"csvimport.reason.{problem.problem}")
            line = t("match.cli.csv_problem", path=str(path), line=problem.line, problem=reason)
            print(line, file=sys.stderr)
    readers: tuple[Any, Any] = (None, None)
    threads: Any = None
    if not args.offline:
        try:
            readers = _readers(args.appview, args.mastodon_instance)
            threads = _threads_reader(args.threads) if args.threads else None
        except ImportError:
            print(t("match.cli.network_missing"), file=sys.stderr)
            return 2
        except ConfigError as exc:
            print(f"chatbot: {exc}", file=sys.stderr)
            return 2
    try:
        matches = asyncio.run(_run(parsed, contacts, directory, *readers, threads))
    except NetworkUnavailable as exc:
        print(t("match.cli.network_down", network=exc.network, detail=exc.detail), file=sys.stderr)
        return 3
    guesses = unchecked_guesses(parsed, matches, contacts) if args.offline else []
    _print(t, matches, as_json=args.json, offline=args.offline)
    if guesses and not args.json:  # apart, plainly unchecked: never as matches (not in JSON)
        _print_guesses(t, guesses)
    return 0


def _load(directory: MemoryDirectory, path: Path, contacts: Ids) -> list[CsvProblem]:
    """Stream the CSV at `path` into `directory`, keeping the rows of `contacts`."""
    problems: list[CsvProblem] = []
    with path.open(encoding="utf-8-sig", newline="") as lines:
        for row in iter_directory_csv(lines, detail=path.name, only=contacts):
            if isinstance(row, CsvProblem):
                problems.append(row)
            else:
                directory.add(row)
    return problems


def _readers(appview: str, instance: str) -> tuple[Any, Any]:
    from chatbot.config import load_settings
    from chatbot.networks.egress import Egress

    egress = Egress.from_settings(load_settings())
    bluesky = importlib.import_module("chatbot.networks.bluesky")
    mastodon = importlib.import_module("chatbot.networks.mastodon")
    return (
        bluesky.PublicAppView(appview, egress=egress),
        mastodon.MastodonLookup(instance, egress=egress),
    )


def _threads_reader(url: str) -> Any:
    """WebFinger on Threads (`--threads URL`; an empty URL leaves Threads out)."""
    from chatbot.config import load_settings
    from chatbot.networks.egress import Egress

    threads = importlib.import_module("chatbot.networks.threads")
    return threads.ThreadsLookup(url, egress=Egress.from_settings(load_settings()))


async def _run(
    parsed: ParsedArchive,
    contacts: Contacts,
    directory: MemoryDirectory,
    bluesky: Any,
    mastodon: Any,
    threads: Any = None,
) -> list[Match]:
    try:
        return await match_archive(
            parsed, directory, bluesky, mastodon, decisions={}, contacts=contacts,
            threads=threads,
        )  # fmt: skip
    finally:
        for reader in (bluesky, mastodon, threads):
            close = getattr(reader, "aclose", None) or getattr(reader, "close", None)
            if close is not None:
                result = close()
                if asyncio.iscoroutine(result):
                    await result


def _print(t: Translator, matches: Sequence[Match], *, as_json: bool, offline: bool) -> None:
    if as_json:  # one match at a time: tens of thousands of them never sit in memory twice
        sys.stdout.write("[")
        for number, match in enumerate(matches):
            item = orjson.dumps(match_json(t, match), option=orjson.OPT_INDENT_2).decode()
            sys.stdout.write(("," if number else "") + "\n  " + item.replace("\n", "\n  "))
        sys.stdout.write("\n]\n" if matches else "]\n")
        return
    if offline:
        print(t("match.cli.offline"))
    if not matches:
        print(t("match.cli.none"))
        return
    print(t.plural("match.cli.total", len(matches)))
    for match in matches:
        print("\n".join(match_lines(t, match)))


def _print_guesses(t: Translator, guesses: Sequence[Guess]) -> None:
    print()
    print(t.plural("match.cli.unchecked", len(guesses)))
    for guess in guesses:
        name = x_screen_name(guess.x_username)
        x_account = f"@{name}" if name else t("match.cli.unknown_name", x_id=str(guess.x_id))
        handle = display(guess.handle, HANDLE_LIMIT)
        print("  " + t("match.cli.unchecked_line", x_account=x_account, handle=handle))
