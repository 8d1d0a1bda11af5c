"""The summary of a parsed archive as text in the user's language (chat and CLI)."""

from __future__ import annotations

from array import array
from collections.abc import Mapping

from babel.numbers import get_group_symbol

from chatbot.archive.model import ParsedArchive
from chatbot.i18n import Translator
from chatbot.summary.chart import ChartLabels


def render_summary(t: Translator, parsed: ParsedArchive) -> str:
    """A short, translated summary: who, when, how many."""
    owner = parsed.owner
    lines = []
    if owner.username:
        name = owner.display_name or owner.username
        lines.append(t("summary.title", username=owner.username, name=name))
    else:
        lines.append(t("summary.title_unknown"))
    if owner.created_at:
        lines.append(t("summary.created", date=owner.created_at))
    if parsed.generated_at:
        lines.append(t("summary.generated", date=parsed.generated_at))
    counts = parsed.counts
    if counts.tweets is not None:
        if parsed.first_tweet and parsed.last_tweet:
            lines.append(
                t.plural(
                    "summary.posts_range",
                    counts.tweets,
                    first=parsed.first_tweet,
                    last=parsed.last_tweet,
                )
            )
        else:
            lines.append(t.plural("summary.posts", counts.tweets))
    if counts.following is not None:
        lines.append(t.plural("summary.following", counts.following))
    if counts.followers is not None:
        lines.append(t.plural("summary.followers", counts.followers))
    extras = [
        t.plural(key, value)
        for key, value in (
            ("summary.likes", counts.likes),
            ("summary.blocks", counts.blocks),
            ("summary.mutes", counts.mutes),
            ("summary.lists", counts.lists),
        )
        if value is not None
    ]
    if extras:
        lines.append(t("summary.extras", items=", ".join(extras)))
    lines.extend(t(key) for key in parsed.warnings)
    return "\n".join(lines)


def render_handles(t: Translator, parsed: ParsedArchive) -> str:
    """How many followed accounts and followers have a recovered screen name."""
    following = _named(parsed.following, parsed.handles)
    followers = _named(parsed.followers, parsed.handles)
    return t(
        "summary.handles",
        handles=parsed.handles_recovered,
        following=following,
        following_total=len(parsed.following),
        followers=followers,
        followers_total=len(parsed.followers),
    )


def _named(ids: array[int], handles: Mapping[int, object]) -> int:
    """How many of `ids` have a recovered name: one pass in C for an organisation's
    millions of followers (a Python loop would hold the event loop for a fifth of a
    second), a plain loop for the others (no numpy to import for `chatbot summary`)."""
    if len(ids) < 100_000 or not handles:
        return sum(1 for x_id in ids if x_id in handles)
    import numpy as np

    from chatbot.matching.contacts import member, packed

    return int(member(packed(handles), np.asarray(ids, dtype=np.int64)).sum())


def chart_labels(t: Translator, parsed: ParsedArchive) -> ChartLabels:
    who = f"@{parsed.owner.username}" if parsed.owner.username else ""
    title = t("summary.chart_title", who=who).strip()
    separator = get_group_symbol(locale=t.locale)
    return ChartLabels(title=title, y_axis=t("summary.chart_y"), thousands_separator=separator)
