"""A PNG chart of an organisation's progress over time. Labels arrive translated."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from chatbot.orgs.store import Snapshot


@dataclass(frozen=True)
class ProgressLabels:
    title: str
    members_axis: str
    joined: str
    moved: str
    share_axis: str
    bluesky: str
    mastodon: str


def progress_png(snapshots: Sequence[Snapshot], labels: ProgressLabels) -> bytes:
    """Members joined and moved (top) and the audience found per network (bottom), per day."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    days = [s.day for s in snapshots]
    figure = Figure(figsize=(8, 5), dpi=100)
    top, bottom = figure.subplots(2, 1, sharex=True)
    top.plot(days, [s.joined for s in snapshots], marker="o", color="#555555",
             label=labels.joined)  # fmt: skip
    top.plot(days, [s.moved for s in snapshots], marker="o", color="#1185fe", label=labels.moved)
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_ylim(bottom=0)
    top.set_ylabel(labels.members_axis)
    top.set_title(labels.title)
    top.legend(loc="upper left")
    for network, color, label in (("bluesky", "#1185fe", labels.bluesky),
                                  ("mastodon", "#6364ff", labels.mastodon)):  # fmt: skip
        values = [getattr(s, f"share_{network}") for s in snapshots]
        points = [(d, v * 100) for d, v in zip(days, values, strict=True) if v is not None]
        if points:
            bottom.plot(*zip(*points, strict=True), marker="o", color=color, label=label)
    bottom.yaxis.set_major_formatter(PercentFormatter())
    bottom.set_ylim(0, 100)
    bottom.set_ylabel(labels.share_axis)
    if bottom.get_legend_handles_labels()[0]:
        bottom.legend(loc="upper left")
    for axes in (top, bottom):
        axes.spines[["top", "right"]].set_visible(False)
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
