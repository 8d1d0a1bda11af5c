"""Issue 14: the texts of a summary read right in both languages (plurals, agreement,
right-to-left names, chart labels), and the upload batches hold in Redis (scale-out)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from chatbot.archive.model import Owner, ParsedArchive, id_array
from chatbot.conversation.batches import (
    MemoryBatches,
    RedisBatches,
    UploadBatches,
    batch_key,
)
from chatbot.i18n import translator
from handlers.summary_view import chart_labels, render_handles, render_summary


def _with_names(following: list[int], followers: list[int], named: list[int]) -> ParsedArchive:
    parsed = ParsedArchive(era="manifest", following=id_array(following),
                           followers=id_array(followers))  # fmt: skip
    parsed.handles = {x_id: Counter({f"n{x_id}": 1}) for x_id in named}
    return parsed


def test_one_name_is_singular_and_zero_follows_french_rules() -> None:
    """Item 9: not "names of 1 accounts"; in French 0 and 1 take the singular, as
    "0 compte bloqué" beside it does."""
    one = _with_names([1, 2, 3], [4], [1])
    assert render_handles(translator("en"), one) == (
        "🔗 From your posts I recovered the name of 1 account: 1 of the 3 accounts you "
        "follow and 0 of your 1 follower. The others are known only by their number in the "
        "archive."
    )
    assert render_handles(translator("fr"), one) == (
        "🔗 Grâce à vos publications, j’ai retrouvé le nom de 1 compte : 1 sur 3 comptes "
        "suivis et 0 sur 1 abonné. Les autres ne sont connus que par leur numéro dans "
        "l’archive."
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_names_without_follow_lists_ask_for_them(lang: str) -> None:
    """Item 1: not "235 accounts: 0 of the 0 you follow and 0 of your 0 followers"."""
    text = render_handles(translator(lang), _with_names([], [], [7, 8]))  # type: ignore[arg-type]
    assert "following.js" in text and " 0 " not in text


def test_a_right_to_left_name_is_isolated_in_the_title() -> None:
    """Item 12: parentheses around an Arabic-script name keep their order."""
    parsed = ParsedArchive(era="manifest", owner=Owner(username="amal", display_name="أمل"))
    title = render_summary(translator("fr"), parsed).splitlines()[0]
    assert title == "📦 Archive de @amal (\u2068أمل\u2069)"


def test_chart_title_and_the_partial_last_year() -> None:
    """Item 11: "Publications de @alice par année"; the year the archive was made in is
    marked as partial, a year that ended is not."""
    parsed = ParsedArchive(era="manifest", owner=Owner(username="alice"),
                           tweets_per_year={2025: 1750, 2026: 1916},
                           generated_at=dt.datetime(2026, 3, 6, tzinfo=dt.UTC))  # fmt: skip
    fr, en = chart_labels(translator("fr"), parsed), chart_labels(translator("en"), parsed)
    assert fr.title == "Publications de @alice par année" and fr.thousands_separator == "\u202f"
    assert fr.partial_note == "* 2026 : jusqu’au 6 mars (fin de l’archive)"
    assert en.partial_note == "* 2026: until March 6 (the archive ends there)"
    parsed.generated_at = dt.datetime(2027, 1, 2, tzinfo=dt.UTC)
    assert chart_labels(translator("en"), parsed).partial_note == ""
    assert chart_labels(translator("en"), ParsedArchive(era="loose")).title == "Posts per year"


async def _batch_rules(batches: UploadBatches) -> None:
    key = batch_key("telegram", "alice")
    await batches.arrived(key)
    await batches.arrived(key)  # two files of one album
    assert not await batches.alone(key)
    await batches.note(key, changed=True, posts=False)
    first = await batches.done(key)
    assert await batches.settle(key, first) is None  # the other file is still being read
    await batches.shown(key, "abc")
    await batches.note(key, changed=False, posts=True)
    last = await batches.done(key)
    assert await batches.settle(key, last - 1) is None  # a later file ends the batch
    settled = await batches.settle(key, last)
    assert settled is not None and (settled.changed, settled.posts, settled.shown) == (
        True, True, "abc"
    )  # fmt: skip
    assert await batches.settle(key, last) is None  # once
    async with batches.lock(1):  # the stored archive is merged one file at a time
        pass


async def test_batches_in_memory() -> None:
    await _batch_rules(MemoryBatches())


async def test_batches_in_redis_shared_by_workers(redis_url: str) -> None:
    """Scale-out mode: files of one user may reach different workers; the batch is one."""
    from redis.asyncio import Redis

    one, two = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        await _batch_rules(RedisBatches(one))
        a, b = RedisBatches(one), RedisBatches(two)  # two workers
        await a.arrived("x:5")
        await b.arrived("x:5")
        await a.note("x:5", changed=True, posts=False)
        generation = await a.done("x:5")
        assert await a.settle("x:5", generation) is None
        generation = await b.done("x:5")
        assert await a.settle("x:5", generation) is not None
    finally:
        await one.aclose()
        await two.aclose()


def test_french_match_directions_assume_no_gender() -> None:
    """Item 9: not "il vous suivait" / "vous le suiviez": the account may be anyone's."""
    fr = translator("fr")
    shown = [fr(f"match.direction.{d}") for d in ("following", "follower", "both")]
    assert shown == ["vous suiviez ce compte", "ce compte vous suivait",
                     "vous vous suiviez mutuellement"]  # fmt: skip
    assert not any(re.search(r"\b(il|elle|le|la|lui)\b", text) for text in shown)


def test_a_message_with_plural_forms_fits_its_count_wherever_it_is_said() -> None:
    """Done-when of issue 14: a number shown takes the form that fits it, also where the
    code says a message with ``count=`` rather than through `plural`."""
    en, fr = translator("en"), translator("fr")
    assert en("export.list.done", name="X", count=1, url="u") == (
        "Your list “X” with 1 account is ready: u"
    )
    assert en("export.list.done", name="X", count=3, url="u").startswith(
        "Your list “X” with 3 accounts"
    )
    assert fr("posts.dry_done", count=1).endswith("publier ce post (1).")
    assert (
        fr("csvimport.problem.bad_id", count=2, lines="4, 9")
        == "2 avec un x_id invalide (lignes 4, 9)"
    )


def test_the_first_of_the_month_in_french() -> None:
    """Read on the summaries: "Compte créé le 1er mars 2009", not "le 1 mars"."""
    fr = translator("fr")
    assert fr.date(dt.date(2009, 3, 1)) == "1er mars 2009"
    assert fr.date(dt.date(2009, 3, 11)) == "11 mars 2009"
    assert translator("en").date(dt.date(2009, 3, 1)) == "March 1, 2009"
