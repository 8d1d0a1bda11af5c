"""The organisation's texts: progress (aggregates only), the chart labels, the announcement."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chatbot.i18n import Translator, negotiate, translator
from chatbot.matching.model import NETWORKS
from chatbot.orgs.chart import ProgressLabels
from chatbot.orgs.progress import Progress


def network_name(t: Translator, network: str) -> str:
    return t(f"match.network.{network}")


def progress_text(t: Translator, name: str, progress: Progress) -> str:
    """Counts of members and follows, and the audience found: never a member's data."""
    lines = [
        t("org.progress.title", name=name),
        t.plural("org.progress.joined", progress.joined),
        t.plural("org.progress.moved", progress.moved),
        t.plural("org.progress.follows", progress.follows),
    ]
    audience = progress.audience
    if audience.missing:
        lines.append(t("org.progress.no_audience", command="/group audience"))
    elif audience.unavailable is not None:
        lines.append(t("org.progress.network_down", network=network_name(t, audience.unavailable)))
    elif not audience.followers:
        lines.append(t("org.progress.no_followers"))
    else:
        lines.append(t.plural("org.progress.audience", audience.followers))
        for network in NETWORKS:
            share = audience.share(network)
            assert share is not None
            lines.append(
                t("org.progress.share", network=network_name(t, network),
                  share=t.percent(share), count=t.number(audience.found.get(network, 0)))
            )  # fmt: skip
    return "\n".join(lines)


def in_languages(languages: Sequence[str], render: Callable[[Translator], str]) -> str:
    """`render(t)` in each of the organisation's languages, separated by a blank line."""
    texts = [render(translator(negotiate(code, None))) for code in languages or ("en",)]
    return "\n\n".join(texts)


def primary(languages: Sequence[str]) -> Translator:
    """The translator of the organisation's first language."""
    return translator(negotiate(languages[0] if languages else None, None))


def chart_labels(t: Translator, name: str) -> ProgressLabels:
    return ProgressLabels(
        title=t("org.chart.title", name=name),
        members_axis=t("org.chart.members"),
        joined=t("org.chart.joined"),
        moved=t("org.chart.moved"),
        share_axis=t("org.chart.share"),
        bluesky=network_name(t, "bluesky"),
        mastodon=network_name(t, "mastodon"),
    )


def announcement(name: str, accounts: dict[str, str]) -> str:
    """ "We are moving": in French and in English, with the organisation's new handles."""
    parts = []
    for language in ("fr", "en"):
        t = translator(negotiate(language, None))
        lines = [t("org.announce.text", name=name)]
        if "bluesky" in accounts:
            lines.append(t("org.announce.bluesky", handle="@" + accounts["bluesky"]))
        if "mastodon" in accounts:
            lines.append(t("org.announce.mastodon", handle="@" + accounts["mastodon"]))
        lines.append(t("org.announce.closing"))
        parts.append("\n".join(lines))
    return "\n\n———\n\n".join(parts)
