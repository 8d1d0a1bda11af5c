"""A PNG bar chart of posts per year. Labels arrive translated; the engine writes no text."""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass(frozen=True)
class ChartLabels:
    title: str
    y_axis: str
    thousands_separator: str = ","


def posts_per_year_png(tweets_per_year: dict[int, int], labels: ChartLabels) -> bytes:
    """Render posts per year (missing years shown as zero) as an 800×400 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    years = sorted(tweets_per_year)
    span = list(range(years[0], years[-1] + 1)) if years else []
    counts = [tweets_per_year.get(year, 0) for year in span]
    figure = Figure(figsize=(8, 4), dpi=100)
    axes = figure.add_subplot()
    bars = axes.bar([str(year) for year in span], counts, color="#1185fe", width=0.6)
    if len(span) <= 20:
        axes.bar_label(
            bars,
            labels=[f"{n:,}".replace(",", labels.thousands_separator) for n in counts],
            padding=2,
        )
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(labels.title)
    axes.set_ylabel(labels.y_axis)
    axes.spines[["top", "right"]].set_visible(False)
    if len(span) > 12:
        axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
