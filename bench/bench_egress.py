"""Outbound requests of one amplification archive, without and with the lookup budgets.

Usage:
    .venv/bin/python bench/bench_egress.py [--followed 5000]

The archive: `devtools.archivegen` with N followed accounts, each mentioned once in the
owner's posts (tests/egress/amplify.py). The bot matches it after the upload, against a
counting stub AppView on 127.0.0.1 (the only allow-listed address). "unbudgeted" is the
behaviour before issue 11 (no per-archive cap, no per-user pace); "budgeted" uses the
defaults of `chatbot.config.Settings`. Prints requests per XRPC method and the time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chatbot.config import Settings
from chatbot.conversation import Dispatcher
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from handlers import build_registry
from tests.conversation.harness import Chat, texts
from tests.egress.amplify import amplification_zip


async def run(folder: Path, archive: Path, budgeted: bool) -> tuple[Counter[str], float, str]:
    counts: Counter[str] = Counter()

    async def handle(request: web.Request) -> web.Response:
        method = request.path.rsplit("/", 1)[-1]
        counts[method] += 1
        key = "actors" if method.endswith("searchActors") else "profiles"
        return web.json_response({key: []})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    data = folder / ("budgeted" if budgeted else "unbudgeted")
    data.mkdir()
    unlimited = {"lookups_per_archive": 10**6, "lookups_per_day": 10**7,
                 "lookups_per_second": 10_000.0}  # fmt: skip
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data,
        egress_allow=["127.0.0.1"],
        bluesky_appview_url=url,
        x_oembed_url=f"{url}/oembed",
        **({} if budgeted else unlimited),
    )
    services = await Services.start(settings, processes=False)
    try:
        chat = Chat(Dispatcher(services, build_registry()), RecordingPlatform(name="telegram"))
        started = time.monotonic()
        reply = texts(await chat.upload(archive))
        took = time.monotonic() - started
    finally:
        await services.close()
        await runner.cleanup()
    return counts, took, reply


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--followed", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        archive = amplification_zip(folder, args.followed)
        print(f"archive: {args.followed} followed, each mentioned once, "
              f"{archive.stat().st_size / 1024:.0f} KB")  # fmt: skip
        for budgeted in (False, True):
            counts, took, reply = await run(folder, archive, budgeted)
            name = "budgeted" if budgeted else "unbudgeted"
            per = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
            capped = "told" if "/match later" in reply else "not told"
            print(
                f"{name}: {sum(counts.values())} requests ({per}) in {took:.1f} s; user {capped}"
            )


if __name__ == "__main__":
    asyncio.run(main())
