"""How a job reads in the chat: its state, counters, next batch and last error."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chatbot.migration.store import Job

FINAL = ("done", "failed", "cancelled")
UNAVAILABLE = "unavailable"  # the account's server did not answer: paused, not failed
KNOWN_ERRORS = ("not_connected", "expired", "internal", UNAVAILABLE)


PREFIX = {"follow": "follow", "import": "posts", "undo": "undo", "block": "blocks"}


def render_job(
    t: Any, job: Job, *, steps: bool = False, reasons: dict[str, int] | None = None
) -> str:
    """One job's state in the user's language (`steps`: the percentage in 5 % steps;
    `reasons`: why targets were skipped, `JobStore.skip_reasons`)."""
    total = max(job.total, 1)
    percent = min(100, job.handled * 100 // total)
    if steps and job.state not in FINAL:
        percent -= percent % 5
    prefix = PREFIX.get(job.action, "follow")  # follow.*, posts.*, undo.*, blocks.* keys
    network = t(f"follow.network.{job.network}")
    lines = [t(f"{prefix}.state.{job.state}", network=network, percent=percent)]
    lines.append(t(f"{prefix}.counts", done=job.done, skipped=job.skipped, failed=job.failed,
                   total=job.total))  # fmt: skip
    shown = [t.plural(f"follow.skipped.{why}", n) for why, n in sorted((reasons or {}).items())]
    if shown:
        lines.append(t("follow.skipped.why", reasons=", ".join(shown)))
    now = dt.datetime.now(dt.UTC)
    if job.state in ("running", "queued") and job.next_run_at and job.next_run_at > now:
        lines.append(t("follow.waiting", when=job.next_run_at.strftime("%Y-%m-%d %H:%M UTC")))
    if job.last_error and (job.state == "failed" or job.last_error == UNAVAILABLE):
        code = job.last_error if job.last_error in KNOWN_ERRORS else "other"
        lines.append(t(f"{prefix}.error.{code}", code=job.last_error))
    return "\n".join(lines)
