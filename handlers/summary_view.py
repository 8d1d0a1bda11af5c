"""The summary of a parsed archive as text in the user's language (chat and CLI).

Every name in it is clipped and cleaned here too (archives stored before the reader
bounded them may hold anything), so a summary stays a few lines long.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from babel.dates import format_skeleton
from babel.numbers import get_group_symbol

from chatbot.archive.idlist import W_CAPPED, count_in, id_limit
from chatbot.archive.model import ParsedArchive
from chatbot.archive.reader import (
    W_MISSING_PART,
    W_NO_FOLLOWERS,
    W_NO_FOLLOWING,
    W_NO_FOLLOWS,
    W_NO_OWNER,
    W_NO_TWEETS,
    W_ONLY_HEADERS,
)
from chatbot.config import ArchiveLimits
from chatbot.i18n import Translator
from chatbot.safetext import display, x_screen_name
from chatbot.summary.chart import ChartLabels

W_NO_TWEETS_COUNTED = "archive.warning.no_tweets_file_counted"
W_NO_OWNER_ROOT = "archive.warning.no_owner_root"
_FILE_NAME = re.compile(r"[a-z-]{1,40}(-part[0-9]{1,3})?\.js|…")


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
        if _posts_absent(parsed):  # X's index counted them; the file itself was not sent
            lines.append(t.plural("summary.posts_indexed", counts.tweets))
        elif parsed.first_tweet and parsed.last_tweet:
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
    """The reader's warnings; a cap that applied says how many entries were kept, a
    missing file is named as that era named it."""
    where = t("archive.where.root" if parsed.era == "gdpr-root" else "archive.where.data")
    for warning in [*parsed.warnings, *_loose_warnings(parsed)]:
        key, _, value = warning.partition(":")
        if key.startswith(W_CAPPED):
            what = key.removeprefix(W_CAPPED)
            if what == "handles":
                yield t.plural(key, limits.max_handle_ids)
            elif what in ("followers", "following", "blocked", "muted"):
                yield t.plural(key, id_limit(limits, what))
        elif key == W_MISSING_PART:
            files = [name for name in value.split(",") if _FILE_NAME.fullmatch(name)]
            if files:
                yield t.plural(key, len(files), files=", ".join(files), where=where)
        elif key in (W_NO_TWEETS, W_ONLY_HEADERS):
            name = value if _FILE_NAME.fullmatch(value) else "tweets.js"
            parts = name.removesuffix(".js") + "-part1.js…"
            if key == W_NO_TWEETS and parsed.counts.tweets is not None:
                key = W_NO_TWEETS_COUNTED  # the number shown comes from X's index
            yield t(key, file=name, file_parts=parts, where=where)
        elif key == W_NO_OWNER and parsed.era == "gdpr-root":
            yield t(W_NO_OWNER_ROOT, where=where)  # those archives had no manifest.js
        elif key.startswith("archive.warning."):
            yield t(key, where=where)


def _loose_warnings(parsed: ParsedArchive) -> list[str]:
    """Files sent one by one: once they stop arriving, a missing follow list is said too
    (the reader cannot tell, file by file)."""
    if parsed.era != "loose":
        return []
    following, followers = parsed.counts.following is not None, parsed.counts.followers is not None
    if not (following or followers):
        return [W_NO_FOLLOWS]
    if not following:
        return [W_NO_FOLLOWING]
    return [] if followers else [W_NO_FOLLOWERS]


def _posts_absent(parsed: ParsedArchive) -> bool:
    return any(w.startswith(W_NO_TWEETS) for w in parsed.warnings)


def render_handles(t: Translator, parsed: ParsedArchive) -> str:
    """How many followed accounts and followers have a recovered screen name."""
    found = parsed.handles_recovered
    details = []
    if len(parsed.following):  # lists are sorted: no walk
        details.append(t.plural("summary.handles_following", len(parsed.following),
                                found=count_in(parsed.following, parsed.handles)))  # fmt: skip
    if len(parsed.followers):
        details.append(t.plural("summary.handles_followers", len(parsed.followers),
                                found=count_in(parsed.followers, parsed.handles)))  # fmt: skip
    if not details:  # an old tweet archive never had the lists: a new archive has them
        key = "summary.handles_classic" if parsed.era == "classic" else "summary.handles_no_lists"
        return t.plural(key, found)
    if not found:
        return t("summary.handles_none")
    return t.plural("summary.handles", found, details=t("summary.handles_and").join(details))


def chart_labels(t: Translator, parsed: ParsedArchive) -> ChartLabels:
    username = x_screen_name(parsed.owner.username)
    if username:
        title = t("summary.chart_title_of", username=username)
    else:
        title = t("summary.chart_title")
    separator = get_group_symbol(locale=t.locale)
    return ChartLabels(title=title, y_axis=t("summary.chart_y"), thousands_separator=separator,
                       partial_note=_partial_note(t, parsed))  # fmt: skip


def _partial_note(t: Translator, parsed: ParsedArchive) -> str:
    """ "* 2026: until March 6" when the chart's last year was not over: the archive was
    made during it (or, without its date, the last post is the last thing known)."""
    if not parsed.tweets_per_year:
        return ""
    year = max(parsed.tweets_per_year)
    until = parsed.generated_at or parsed.last_tweet
    if until is None or until.year != year or (until.month, until.day) == (12, 31):
        return ""
    day = format_skeleton("MMMMd", until, locale=t.locale)
    return t("summary.chart_partial", year=str(year), date=day)
