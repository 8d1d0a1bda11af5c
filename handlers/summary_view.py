"""The summary of a parsed archive as text in the user's language (chat and CLI).

Every name in it is clipped and cleaned here too (archives stored before the reader
bounded them may hold anything), so a summary stays a few lines long.
"""

from __future__ import annotations

from collections.abc import Iterator

from babel.numbers import get_group_symbol

from chatbot.archive.idlist import W_CAPPED, count_in, id_limit
from chatbot.archive.model import ParsedArchive
from chatbot.config import ArchiveLimits
from chatbot.i18n import Translator
from chatbot.safetext import display, x_screen_name
from chatbot.summary.chart import ChartLabels


def render_summary(
    t: Translator, parsed: ParsedArchive, limits: ArchiveLimits | None = None
) -> str:
    """A short, translated summary: who, when, how many."""
    owner = parsed.owner
    lines = []
    username = x_screen_name(owner.username)
    name = display(owner.display_name)
    if username:
        lines.append(t("summary.title", username=username, name=name or username))
    elif name:  # an account file without a valid username (a warning below says so)
        lines.append(t("summary.title_name", name=name))
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
    lines.extend(_warnings(t, parsed, limits or ArchiveLimits()))
    return "\n".join(lines)


def _warnings(t: Translator, parsed: ParsedArchive, limits: ArchiveLimits) -> Iterator[str]:
    """The reader's warnings; a cap that applied says how many entries were kept."""
    for key in parsed.warnings:
        if key.startswith(W_CAPPED):
            what = key.removeprefix(W_CAPPED)
            if what == "handles":
                yield t.plural(key, limits.max_handle_ids)
            elif what in ("followers", "following", "blocked", "muted"):
                yield t.plural(key, id_limit(limits, what))
        else:
            yield t(key)


def render_handles(t: Translator, parsed: ParsedArchive) -> str:
    """How many followed accounts and followers have a recovered screen name."""
    following = count_in(parsed.following, parsed.handles)  # lists are sorted: no walk
    followers = count_in(parsed.followers, parsed.handles)
    return t(
        "summary.handles",
        handles=parsed.handles_recovered,
        following=following,
        following_total=len(parsed.following),
        followers=followers,
        followers_total=len(parsed.followers),
    )


def chart_labels(t: Translator, parsed: ParsedArchive) -> ChartLabels:
    username = x_screen_name(parsed.owner.username)
    who = f"@{username}" if username else ""
    title = t("summary.chart_title", who=who).strip()
    separator = get_group_symbol(locale=t.locale)
    return ChartLabels(title=title, y_axis=t("summary.chart_y"), thousands_separator=separator)
