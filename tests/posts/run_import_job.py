"""Run the job runner until idle in its own process: the post import's kill-and-restart test.

``python -m tests.posts.run_import_job DATA_DIR PDS_URL HANDLE PASSWORD DELAY_S`` resumes
every queued or running job of the database in DATA_DIR, logging in to the dev network
with the password and sleeping DELAY_S after each post so the test can kill it mid-way.
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
from chatbot.posts.writer import AtprotoPostWriter, PostRef
from chatbot.services import Services


class SlowPostWriter(AtprotoPostWriter):
    delay = 0.0

    async def create_post(self, rkey: str, record: dict[str, Any]) -> PostRef:
        made = await super().create_post(rkey, record)
        await asyncio.sleep(self.delay)
        return made


async def login(pds: str, handle: str, password: str, delay: float = 0.0) -> SlowPostWriter:
    client = AsyncClient(base_url=pds)
    await client.login(handle, password)
    writer = SlowPostWriter(client)
    writer.delay = delay
    return writer


async def main(data_dir: str, pds: str, handle: str, password: str, delay: float) -> None:
    settings = Settings(_env_file=None, data_dir=Path(data_dir), matching_offline=True)  # type: ignore[call-arg]
    services = await Services.start(settings, processes=False)

    async def factory(_services: Any, _user_id: int, _network: str) -> SlowPostWriter:
        return await login(pds, handle, password, delay)

    options = FollowOptions(pace=False, hour_points=10**7, day_points=10**8)
    runner = JobRunner(services, {}, post_writer_factory=factory, options=options)
    try:
        await runner.start()
        await runner.idle()
    finally:
        await services.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0], args[1], args[2], args[3], float(args[4])))
