"""Follow jobs: (a) 5,000 follows on the local AT Protocol network, the job (applyWrites
batches of 200, checkpointed in SQLite) against a naive createRecord-per-follow loop;
(b) the points budget on a simulated clock against a simulated PDS limiter.

Usage:
    .venv/bin/python bench/bench_follow.py [--quick]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from atproto import AsyncClient, models  # noqa: E402

from chatbot.config import Settings  # noqa: E402
from chatbot.migration.budget import HOUR_S, PointsBudget  # noqa: E402
from chatbot.migration.follow import FollowOptions  # noqa: E402
from chatbot.migration.jobs import JobRunner  # noqa: E402
from chatbot.migration.writers import AtprotoFollowWriter  # noqa: E402
from chatbot.services import Services  # noqa: E402
from tests.migration.simulate import SimulatedPds, max_sliding, per_hour, run  # noqa: E402
from tests.servers.atproto import PASSWORD, AtprotoNetwork, start_network  # noqa: E402


def dids(count: int) -> list[str]:
    abc = "abcdefghijklmnopqrstuvwxyz234567"
    return ["did:plc:" + "".join(secrets.choice(abc) for _ in range(24)) for _ in range(count)]


async def _client(net: AtprotoNetwork) -> AsyncClient:
    account = net.create_account("b" + secrets.token_hex(5), display_name="Bench")
    net.wait_for_profiles([account.did])
    client = AsyncClient(base_url=net.pds_url)
    await client.login(account.handle, PASSWORD)
    return client


async def job_run(net: AtprotoNetwork, count: int) -> tuple[float, int]:
    writer = AtprotoFollowWriter(await _client(net))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), matching_offline=True)  # type: ignore[call-arg]
        services = await Services.start(settings, processes=False)

        async def factory(*_: Any) -> AtprotoFollowWriter:
            return writer

        options = FollowOptions(pace=False, hour_points=10**8, day_points=10**9)
        runner = JobRunner(services, {}, writer_factory=factory, options=options)
        user = await services.users.get_or_create("bench", "1")
        start = time.perf_counter()
        await runner.submit(user.id, "bluesky", dids(count))
        await runner.idle()
        took = time.perf_counter() - start
        await services.close()
    return took, writer.requests


async def naive_run(net: AtprotoNetwork, count: int) -> tuple[float, int]:
    client = await _client(net)
    assert client.me is not None
    start = time.perf_counter()
    for did in dids(count):
        record = {"$type": "app.bsky.graph.follow", "subject": did,
                  "createdAt": dt.datetime.now(dt.UTC).isoformat()}  # fmt: skip
        await client.com.atproto.repo.create_record(
            models.ComAtprotoRepoCreateRecord.Data(
                repo=client.me.did, collection="app.bsky.graph.follow", record=record
            )
        )
    return time.perf_counter() - start, count


def simulated() -> None:
    print("\n(b) budget on a simulated clock, 5,000 follows, simulated PDS (fixed windows)\n")
    print("| headroom | duration | 429s | max points in a sliding hour | points per hour |")
    print("|---|---|---|---|---|")
    for headroom in (1.0, 0.8):
        server = SimulatedPds()
        took = run(PointsBudget(headroom), 5000, server)
        hours = " / ".join(str(p) for p in per_hour(server.log))
        print(f"| {headroom:.0%} | {took / HOUR_S:.2f} h | {server.rejected} | "
              f"{max_sliding(server.log, HOUR_S)} | {hours} |")  # fmt: skip


def main() -> None:
    quick = "--quick" in sys.argv
    count, naive = (1000, 100) if quick else (5000, 500)
    net = start_network()
    try:
        took, requests = asyncio.run(job_run(net, count))
        ntook, nrequests = asyncio.run(naive_run(net, naive))
    finally:
        net.stop()
    print(f"(a) {count} follows on the local dev-env PDS (no rate limits there)\n")
    print("| method | follows | HTTP requests | requests / 100 follows | follows / s |")
    print("|---|---|---|---|---|")
    print(f"| follow job (applyWrites ×200, SQLite checkpoints) | {count} | {requests} | "
          f"{requests * 100 / count:.2f} | {count / took:.0f} |")  # fmt: skip
    print(f"| naive createRecord loop | {naive} (extrapolated to {count}: "
          f"{count / (naive / ntook):.0f} s) | {nrequests} | {nrequests * 100 / naive:.0f} | "
          f"{naive / ntook:.0f} |")  # fmt: skip
    simulated()


if __name__ == "__main__":
    main()
