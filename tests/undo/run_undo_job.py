"""Run the job runner until idle in its own process: the undo job's kill-and-restart test.

``python -m tests.undo.run_undo_job DATA_DIR PDS_URL HANDLE PASSWORD DELAY_S SENT_FILE``
resumes every queued or running job of the database in DATA_DIR with deletes in batches
of 50, sleeping DELAY_S after the PDS answered each batch (before the bot logs it: the
window a kill -9 falls in), and appends the URIs of each answered batch to SENT_FILE.
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
from chatbot.migration.undo_writer import AtprotoAccountWriter
from chatbot.migration.writers import BatchResult
from chatbot.services import Services


class SlowUndoWriter(AtprotoAccountWriter):
    delay = 0.0
    sent: Path | None = None

    async def delete_records(self, uris: list[str]) -> BatchResult:
        result = await super().delete_records(uris)
        if self.sent is not None:
            with self.sent.open("a") as out:
                out.write("".join(uri + "\n" for uri in uris))
        await asyncio.sleep(self.delay)
        return result


async def login(pds: str, handle: str, password: str) -> SlowUndoWriter:
    client = AsyncClient(base_url=pds)
    await client.login(handle, password)
    return SlowUndoWriter(client)


async def main(args: list[str]) -> None:
    data_dir, pds, handle, password, delay, sent = args
    settings = Settings(_env_file=None, data_dir=Path(data_dir), matching_offline=True)  # type: ignore[call-arg]
    services = await Services.start(settings, processes=False)

    async def factory(_services: Any, _user_id: int, _network: str) -> SlowUndoWriter:
        writer = await login(pds, handle, password)
        writer.delay, writer.sent = float(delay), Path(sent)
        return writer

    options = FollowOptions(batch_size=50, pace=False, hour_points=10**7, day_points=10**8)
    runner = JobRunner(services, {}, writer_factory=factory, options=options)
    try:
        await runner.start()
        await runner.idle()
    finally:
        await services.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
