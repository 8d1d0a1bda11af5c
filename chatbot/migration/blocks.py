"""The Bluesky blocks job: blocks and mutes carried over from X, on request only.

Blocks are `app.bsky.graph.block` records, written like follows (budgeted applyWrites
batches, 3 points each, checkpoints, in-flight batches found again after a crash) and
logged apart (`BLOCKS`); an account already blocked is logged "already" and never
unblocked by /undo. Mutes are no records: ``app.bsky.graph.muteActor`` one at a time
(repeating one is harmless), logged (`MUTES`) with the muting account's DID so /undo
unmutes only what the bot muted, through that account.
"""

from __future__ import annotations

from dataclasses import replace

from chatbot.migration.follow import FollowOptions, Graph, JobIO, retry_later, write_subjects
from chatbot.migration.store import BLOCKS, MUTES, Job, LogEntry
from chatbot.migration.undo_writer import AtprotoAccountWriter
from chatbot.migration.writers import RateLimitedError, WriterError


async def block_bluesky(
    job: Job, writer: AtprotoAccountWriter, io: JobIO, options: FollowOptions
) -> bool:
    """Block, then mute, the job's DIDs; True when every one was handled."""
    me = writer.did
    blocks = [did for did in job.params.get("blocks") or () if did != me]
    graph = Graph(writer.existing_blocks, writer.create_blocks, BLOCKS, "blocked")
    blocking = replace(job, params={**job.params, "targets": blocks})
    if not await write_subjects(blocking, writer, io, options, graph):
        return False
    return await _mute(job, writer, io, [d for d in job.params.get("mutes") or () if d != me])


async def _mute(job: Job, writer: AtprotoAccountWriter, io: JobIO, dids: list[str]) -> bool:
    store = io.store
    logged = await store.logged(job.user_id, MUTES)
    pending = [did for did in dict.fromkeys(dids) if did not in logged]
    if not pending:
        return True
    muted = await writer.existing_mutes()
    attempt = 0
    while pending:
        if not await io.active(job):
            return False
        did = pending[0]
        if did in muted:
            entry = LogEntry(did, "already", writer.did)
        else:
            try:
                await writer.mute(did)
            except RateLimitedError:
                if not await io.sleep(job, 60.0):  # the AppView's limit: again in a minute
                    return False
                continue
            except WriterError as exc:
                if exc.retry:
                    attempt += 1
                    if not await retry_later(io, job, attempt - 1, exc, {"mute": did}):
                        return False
                    continue
                entry = LogEntry(did, "failed", exc.code)
            else:
                entry = LogEntry(did, "muted", writer.did)  # the account that muted
        attempt = 0
        await store.record(job, [entry], {"mute": did}, log=MUTES)
        pending = pending[1:]
        await io.report(job)
    return True
