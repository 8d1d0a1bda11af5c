"""The `chatbot` command.

Usage:
    chatbot [run]                  start the configured platforms, or the console
    chatbot console                the conversation in this terminal (stdin/stdout)
    chatbot summary PATH [PATH ...] [--json] [--lang fr|en]
    chatbot match PATH [PATH ...] [--directory CSV] [--json] [--offline] [--lang fr|en]
    chatbot oauth-keys [list|rotate|prune]   the Bluesky OAuth client keys (issue 16)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import orjson

from chatbot.archive.model import ParsedArchive
from chatbot.config import SUPPORTED_LANGUAGES, ConfigError, Settings, load_settings
from chatbot.memory import return_freed_memory
from chatbot.private_files import restrict_umask


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    command = args.command or "run"
    return_freed_memory()  # big archives come and go: give their memory back
    if command == "summary":
        return _summary(args.paths, as_json=args.json, lang=args.lang)
    if command == "match":
        from chatbot.matching.cli import run_match

        return run_match(args)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"chatbot: {exc}", file=sys.stderr)
        return 2
    _logging(settings)
    restrict_umask()  # every file and folder the bot creates: 0600 / 0700 (issue 11)
    try:
        if command == "console":
            asyncio.run(_console(settings))
        elif command == "oauth-keys":
            from chatbot.oauth.admin import run_keys

            return asyncio.run(run_keys(settings, args.action, sys.stdout))
        elif command == "worker":
            from chatbot.queue.worker import run_worker

            asyncio.run(run_worker(settings))
        else:
            from chatbot.app import run

            asyncio.run(run(settings))
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:
        print(f"chatbot: {exc}", file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatbot", description="X → Bluesky/Mastodon bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the configured platforms (the console when none is set)")
    sub.add_parser("console", help="talk to the bot in this terminal")
    sub.add_parser("worker", help="run queued jobs (scale-out: CHATBOT_REDIS_URL + PostgreSQL)")
    keys = sub.add_parser("oauth-keys", help="list, rotate or prune the Bluesky OAuth keys")
    keys.add_argument("action", nargs="?", default="list", choices=("list", "rotate", "prune"))
    summary = sub.add_parser("summary", help="summarise an X archive")
    summary.add_argument("paths", nargs="+", type=Path, help="a zip, or loose .js files")
    summary.add_argument("--json", action="store_true", help="print one JSON object")
    summary.add_argument("--lang", choices=SUPPORTED_LANGUAGES, help="language of the text")
    match = sub.add_parser("match", help="find the X contacts of an archive on Bluesky/Mastodon")
    match.add_argument("paths", nargs="+", type=Path, help="a zip, or loose .js files")
    match.add_argument(
        "--directory",
        action="append",
        type=Path,
        default=[],
        help="a CSV x_id,x_username,bluesky,mastodon[,threads]",
    )
    match.add_argument("--json", action="store_true", help="print a JSON list")
    match.add_argument("--offline", action="store_true", help="no network: directory links")
    match.add_argument("--lang", choices=SUPPORTED_LANGUAGES, help="language of the text")
    match.add_argument("--appview", default="https://public.api.bsky.app", help="Bluesky AppView")
    match.add_argument(
        "--mastodon-instance", default="https://mastodon.social", help="instance for lookups"
    )
    match.add_argument(
        "--threads", default="", help="WebFinger names on Threads (https://www.threads.net)"
    )
    return parser


async def _console(settings: Settings) -> None:
    from chatbot.app import single_process
    from chatbot.conversation import Dispatcher
    from chatbot.platforms.console import ConsolePlatform, run_console
    from chatbot.services import Services
    from chatbot.web import start_web
    from handlers import build_registry

    services = await Services.start(single_process(settings))
    console = ConsolePlatform(sys.stdout, settings.data_dir / "console-files")
    web = await start_web(settings, services, {console.name: console})  # OAuth callback
    try:
        await run_console(Dispatcher(services, build_registry()), platform=console)
    finally:
        if web is not None:
            await web.stop()
        await services.close()


def _summary(paths: Sequence[Path], *, as_json: bool, lang: str | None) -> int:
    from chatbot.cli_support import read_or_explain, terminal_translator
    from handlers.summary_view import render_handles, render_summary

    t = terminal_translator(lang)
    parsed = read_or_explain(paths, t)
    if parsed is None:
        return 2
    if as_json:
        sys.stdout.write(orjson.dumps(summary_json(parsed), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
    else:
        print(render_summary(t, parsed))
        print(render_handles(t, parsed))
    return 0


def summary_json(parsed: ParsedArchive) -> dict[str, object]:
    """The machine-readable summary printed by ``chatbot summary --json``."""
    owner, counts = parsed.owner, parsed.counts
    return {
        "era": parsed.era,
        "account": {
            "id": owner.account_id,
            "username": owner.username,
            "display_name": owner.display_name,
            "created_at": owner.created_at.isoformat() if owner.created_at else None,
        },
        "generated_at": parsed.generated_at.isoformat() if parsed.generated_at else None,
        "counts": vars(counts),
        "tweets": {
            "first": parsed.first_tweet.isoformat() if parsed.first_tweet else None,
            "last": parsed.last_tweet.isoformat() if parsed.last_tweet else None,
            "per_year": {str(year): n for year, n in sorted(parsed.tweets_per_year.items())},
        },
        "handles_recovered": parsed.handles_recovered,
        "warnings": parsed.warnings,
    }


def _logging(settings: Settings) -> None:
    from chatbot.ops.logs import configure_logging

    # text or JSON lines, and personal data scrubbed from every record (issue 7)
    configure_logging(settings.log_level, settings.log_format)
    for noisy in ("httpx", "httpcore", "telegram", "nio", "aiosqlite", "asyncio", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


if __name__ == "__main__":
    raise SystemExit(main())
