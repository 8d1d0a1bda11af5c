"""Run the follow-job runner until idle, in its own process (the kill-and-restart test).

``python -m tests.migration.run_follow_job DATA_DIR PDS_URL HANDLE PASSWORD BATCH DELAY_S``
resumes every queued or running job of the database in DATA_DIR, logging in to the dev
network with the password, sleeping DELAY_S after each batch so the test can kill it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from atproto import AsyncClient

from chatbot.config import Settings
from chatbot.migration.follow import FollowOptions
from chatbot.migration.jobs import JobRunner
from chatbot.migration.writers import AtprotoFollowWriter, BatchResult
from chatbot.services import Services


class SlowWriter(AtprotoFollowWriter):
    delay = 0.0

    async def create_follows(self, subjects: list[str]) -> BatchResult:
        result = await super().create_follows(subjects)
        await asyncio.sleep(self.delay)
        return result


async def main(
    data_dir: str, pds: str, handle: str, password: str, batch: int, delay: float
) -> None:
    settings = Settings(_env_file=None, data_dir=Path(data_dir), matching_offline=True)  # type: ignore[call-arg]
    services = await Services.start(settings, processes=False)

    async def factory(_services: Any, _user_id: int, _network: str) -> SlowWriter:
        client = AsyncClient(base_url=pds)
        await client.login(handle, password)
        writer = SlowWriter(client)
        writer.delay = delay
        return writer

    options = FollowOptions(batch_size=batch, pace=False, hour_points=10**7, day_points=10**8)
    runner = JobRunner(services, {}, writer_factory=factory, options=options)
    try:
        await runner.start()
        await runner.idle()
    finally:
        await services.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0], args[1], args[2], args[3], int(args[4]), float(args[5])))
