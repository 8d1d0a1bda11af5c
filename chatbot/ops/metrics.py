"""The Prometheus metrics of the bot and the workers: import them and update them in place.

Labels carry no personal data: only platform, kind, state or network names. Each process
exposes its own values on its ops server (``/metrics``); Prometheus adds them up across
the front ends and workers (``sum by (kind) (...)``). The job gauges are read from the
database at scrape time (`chatbot.ops.server`), so every process reports the same totals
(use ``max``).

Follows per minute, in PromQL: ``rate(chatbot_follows_total[1m]) * 60``.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# no `*_created` series: they double the output for nothing
disable_created_metrics()  # type: ignore[no-untyped-call]

JOBS_QUEUED = Gauge("chatbot_jobs_queued", "Jobs waiting to run", ["kind"])
JOBS_RUNNING = Gauge("chatbot_jobs_running", "Jobs running (or cut off, to resume)", ["kind"])
JOBS_FAILED = Counter("chatbot_jobs_failed", "Jobs that ended failed", ["kind"])
FOLLOWS = Counter("chatbot_follows", "Accounts followed for users", ["network"])
POSTS_IMPORTED = Counter("chatbot_posts_imported", "Post parts published by post imports")
ARCHIVE_PARSE_SECONDS = Histogram(
    "chatbot_archive_parse_seconds",
    "Time to read an uploaded archive",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
MESSAGES = Counter(
    "chatbot_messages", "Messages addressed to the bot", ["platform", "kind"]
)  # kind: command, file, callback or text
HANDLER_ERRORS = Counter(
    "chatbot_handler_errors", "Handler failures (the user got a reference number)", ["platform"]
)
REPLY_SECONDS = Histogram(
    "chatbot_reply_seconds",
    "Time from a message to the end of its handling",
    ["platform"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
