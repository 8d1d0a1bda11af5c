"""The Mastodon undo job: unfollow what the bot followed through the API, the profile.

Only follows logged as made by the bot ("followed" or "requested") are taken back: one
the account had before is logged "already". Follows the user made by importing the
bot's CSV file are theirs: Mastodon does not tell them apart, and the bot never sees
them. Unfollowing an account that is gone, or no longer followed, counts as done.
Each unfollow is marked undone with the job's counters in one transaction; repeating
one after a crash is harmless. Requests stay within the per-token limit (300 per
5 minutes): a 429 waits for the reset the server gives.
"""

from __future__ import annotations

from typing import Any

from chatbot.migration.follow import JobIO, retry_later
from chatbot.migration.store import Job
from chatbot.migration.undo_writer import MastodonAccountWriter
from chatbot.migration.writers import RateLimitedError, WriterError
from chatbot.undo.plan import KINDS, gather
from chatbot.undo.profile import mastodon_changes
from chatbot.undo.store import Made, UndoStore


async def undo_mastodon(
    job: Job, writer: MastodonAccountWriter, io: JobIO, store: UndoStore
) -> bool:
    """Run (or resume) a Mastodon undo; True when everything was handled."""
    kinds = tuple(job.params.get("kinds") or KINDS)
    plan = await gather(store, job.user_id, "mastodon", kinds, str(job.params.get("account")))
    steps = list(plan.items.get("follows", ()))
    if plan.backup is not None:
        steps.append(Made("profile", "profile", None, ("profile_backups", "mastodon")))
    attempt = int(job.checkpoint.get("attempt", 0))
    while steps:
        if not await io.active(job):
            return False
        step = steps[0]
        failed = 0
        try:
            if step.kind == "profile" and plan.backup is not None:
                await writer.restore_profile(*mastodon_changes(plan.backup))
            else:
                await _unfollow(writer, step)
        except RateLimitedError as exc:
            if not await io.sleep(job, max(5.0, (exc.reset_at or io.now() + 300) - io.now())):
                return False
            continue
        except WriterError as exc:
            if exc.retry:
                attempt += 1
                if not await retry_later(io, job, attempt - 1, exc, _point(step, attempt)):
                    return False
                continue
            failed = 1
        attempt = 0
        await store.undone(job, [] if failed else [step], _point(step, 0), failed=failed)
        steps = steps[1:]
        await io.report(job)
    return True


def _point(step: Made, attempt: int) -> dict[str, Any]:
    return {"last": step.target, "attempt": attempt}


async def _unfollow(writer: MastodonAccountWriter, step: Made) -> None:
    note = step.uri or ""
    acct = note.removeprefix("moved:") if note.startswith("moved:") else step.target
    account = await writer.lookup(acct)
    if account is not None:
        await writer.unfollow(account.id)
