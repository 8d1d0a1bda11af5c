"""Issue 14: the conversation on real archives, partial, old and piecemeal, in both languages.

Each test sends a synthetic archive of the shape a real user sent (the tweets file left
out, only its headers, no follow lists, root-level 2018 files, loose files in a row) and
reads the replies as that user would.
"""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import pytest

from chatbot.conversation import Dispatcher
from chatbot.i18n import translator
from chatbot.platforms.base import RecordingPlatform
from chatbot.platforms.console import ConsolePlatform, run_console
from handlers import archive
from tests.conversation.harness import Chat, images, texts
from tests.conversation.partial import epoch_created_at, loose, make

LANGS = ["en", "fr"]


def chat(dispatcher: Dispatcher, platform: RecordingPlatform, lang: str) -> Chat:
    return Chat(dispatcher, platform, language_hint=lang)


def plural(lang: str, key: str, count: int, **params: object) -> str:
    return translator(lang).plural(key, count, **params)  # type: ignore[arg-type]


def t(lang: str, key: str, **params: object) -> str:
    return translator(lang)(key, **params)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", LANGS)
async def test_no_tweets_file_no_names_promised_and_the_era_file_named(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path, lang: str
) -> None:
    """Items 1 and 4: no "looking through your posts", no "names of 0 accounts"; the count
    says it comes from X's index, the warning names tweet.js (2020-2022) and what is lost."""
    upload, _ = make(tmp_path, "D", drop=["tweet.js"])  # D: data/tweet.js, no headers
    shown = texts(await chat(dispatcher, platform, lang).upload(upload))
    assert t(lang, "upload.looking_for_handles") not in shown
    assert "🔗" not in shown  # no line about names recovered from posts
    assert plural(lang, "summary.posts_indexed", 30) in shown
    warning = t(lang, "archive.warning.no_tweets_file_counted", file="tweet.js",
                file_parts="tweet-part1.js…", where=t(lang, "archive.where.data"))  # fmt: skip
    assert warning in shown and "tweets.js" not in shown
    assert "/import posts" in warning


@pytest.mark.parametrize("lang", LANGS)
async def test_only_follow_lists_match_explains_what_bare_ids_allow(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path, lang: str
) -> None:
    """Item 2: no bare "No match found" when only numbers are known."""
    files = loose(tmp_path, "H", ["following.js", "follower.js"])
    alice = chat(dispatcher, platform, lang)
    for path in files:
        await alice.upload(path)
    shown = texts(await alice.say("/match"))
    assert t(lang, "match.cli.none") not in shown
    either = t(lang, "archive.posts_file_either")
    assert t(lang, "match.none") in shown
    assert t(lang, "match.bare.no_posts", file=either) in shown  # what is missing, and why
    assert t(lang, "match.found.none") in shown  # what can still come: people who link


@pytest.mark.parametrize("lang", LANGS)
async def test_files_in_a_row_are_one_upload(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path, lang: str
) -> None:
    """Item 3: four files sent one after another: four short acknowledgements, then one
    summary, one line of names and one matching with one menu."""
    services = dispatcher.services
    services.settings = services.settings.model_copy(update={"upload_batch_s": 0.5})
    names = ["account.js", "following.js", "follower.js", "tweets.js"]
    files = loose(tmp_path, "H", names)
    alice = chat(dispatcher, platform, lang)
    alice.wait_for_jobs = False
    for path in files:
        await alice.upload(path)
    await services.jobs.idle()
    replies = alice.new_replies()
    shown = texts(replies)
    acks = [r for _, r in platform.edits if r.text == t(lang, "upload.read_done")]
    assert len(acks) == len(names)
    assert shown.count("📦") == 1 and shown.count("🔗") == 1
    assert shown.count(t(lang, "match.found.searching")) == 1
    assert sum(len(r.buttons) for r in replies if hasattr(r, "buttons")) == 1  # one 🔔
    assert plural(lang, "summary.following", 15) in shown
    assert plural(lang, "summary.followers", 12) in shown
    assert len(images(replies)) == 1  # the chart, once, with the summary


async def test_a_file_after_the_wait_is_a_new_upload(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path
) -> None:
    """Files sent far apart each get their summary (the user sees every step)."""
    files = loose(tmp_path, "H", ["following.js", "follower.js"])
    alice = chat(dispatcher, platform, "en")
    first = texts(await alice.upload(files[0]))
    second = texts(await alice.upload(files[1]))
    assert "📦" in first and "📦" in second
    assert "follower.js is missing" not in second


@pytest.mark.parametrize("lang", LANGS)
async def test_missing_parts_are_named_and_headers_alone_say_the_posts_are_missing(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path, lang: str
) -> None:
    """Item 5: the files the manifest lists and the upload lacks, by name; tweet-headers.js
    without tweets.js says the posts themselves are not there."""
    upload, _ = make(
        tmp_path,
        "H",
        drop=["follower-part1.js", "tweets.js"],
        followers=3000,
        part_size_bytes=100_000,
        notes=0,
        community=0,
    )  # no names anywhere
    shown = texts(await chat(dispatcher, platform, lang).upload(upload))
    where = t(lang, "archive.where.data")
    assert plural(lang, "archive.warning.missing_part", 1, files="follower-part1.js",
                  where=where) in shown  # fmt: skip
    assert "tweets-part1.js" not in shown.replace("tweets-part1.js…", "")  # not an example
    assert t(lang, "archive.warning.only_tweet_headers", file="tweets.js",
             file_parts="tweets-part1.js…", where=where) in shown  # fmt: skip
    assert "🔗" not in shown and t(lang, "upload.looking_for_handles") not in shown
    assert images(r for _, r in platform.sent)  # dated by tweet-headers.js: a chart


@pytest.mark.parametrize("lang", LANGS)
async def test_root_2018_archive_with_epoch_dates(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path, lang: str
) -> None:
    """Item 6: createdAt in epoch milliseconds gives the creation date; item 8: files at
    the zip root are not asked for "in the data folder"."""
    upload, _ = make(tmp_path, "B", drop=["follower.js"],
                     edit={"account.js": epoch_created_at})  # fmt: skip
    shown = texts(await chat(dispatcher, platform, lang).upload(upload))
    created = translator(lang).date(__import__("datetime").date(2012, 9, 4))  # type: ignore[arg-type]
    assert t(lang, "summary.created", date=created) in shown
    root = t(lang, "archive.where.root")
    assert t(lang, "archive.warning.no_followers_file", where=root) in shown
    assert t(lang, "archive.where.data") not in shown


@pytest.mark.parametrize("lang", LANGS)
async def test_first_summary_has_dates_and_chart_without_headers(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path, lang: str
) -> None:
    """Item 7: tweet.js without tweet-headers.js (2020-2022): the first summary has the
    date range and the chart."""
    upload, gen = make(tmp_path, "D")
    replies = await chat(dispatcher, platform, lang).upload(upload)
    shown = texts(replies)
    assert shown.count("📦") == 1 and len(images(replies)) == 1
    assert plural(lang, "summary.posts_range", 30, first=gen.first_tweet, last=gen.last_tweet,
                  ) in shown  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
async def test_a_large_archive_without_headers_is_summarised_again_with_its_dates(
    dispatcher: Dispatcher,
    platform: RecordingPlatform,
    tmp_path: Path,
    lang: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Item 7, large uploads: the summary comes first (no dates yet), then, once the
    posts are read, the summary again with the date range and the chart."""
    monkeypatch.setattr(archive, "ONE_READ_BYTES", 0)
    upload, gen = make(tmp_path, "D")
    replies = await chat(dispatcher, platform, lang).upload(upload)
    shown = texts(replies)
    first = shown.index("📦")
    later = shown.index("📦", first + 1)
    dated = plural(lang, "summary.posts_range", 30, first=gen.first_tweet, last=gen.last_tweet)
    assert dated not in shown[:later] and dated in shown[later:]
    assert len(images(replies)) == 1


@pytest.mark.parametrize("lang", LANGS)
async def test_both_follow_lists_missing_is_said_once(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path, lang: str
) -> None:
    """Item 8: not "follower.js is missing, so I only know whom you follow"."""
    upload, _ = make(tmp_path, "H", drop=["following.js", "follower.js"])
    shown = texts(await chat(dispatcher, platform, lang).upload(upload))
    where = t(lang, "archive.where.data")
    assert t(lang, "archive.warning.no_follow_files", where=where) in shown
    assert t(lang, "archive.warning.no_followers_file", where=where) not in shown
    assert t(lang, "match.found.searching") not in shown  # nobody to look for
    stored = await dispatcher.services.archives.load(
        (await dispatcher.services.users.get_or_create("telegram", "alice")).id
    )
    assert stored is not None and stored.handles_recovered > 0
    # the names line asks for the lists instead of "0 of the 0 you follow"
    assert plural(lang, "summary.handles_no_lists", stored.handles_recovered) in shown


async def test_french_agreement_after_upload(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path
) -> None:
    """Item 9: "Personnes …: aucune pour l’instant", "Comptes …: aucun pour l’instant"."""
    files = loose(tmp_path, "H", ["following.js", "follower.js"])
    alice = chat(dispatcher, platform, "fr")
    await alice.upload(files[0])
    shown = texts(await alice.upload(files[1]))
    people = t("fr", "match.found.followers")
    assert f"{people}\n  aucune pour l’instant" in shown
    assert f"{t('fr', 'match.found.following')}\n  aucun pour l’instant" in shown


@pytest.mark.parametrize("lang", LANGS)
async def test_an_album_is_one_upload(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path, lang: str
) -> None:
    """Item 3, a Telegram album: the files arrive at once (updates are handled
    concurrently) and wait behind each other; the first one read does not end the batch
    while the others wait, however long they take."""
    services = dispatcher.services
    services.settings = services.settings.model_copy(update={"upload_batch_s": 0.05})
    files = loose(tmp_path, "H", ["following.js", "follower.js", "account.js", "tweets.js"])
    alice = chat(dispatcher, platform, lang)
    alice.wait_for_jobs = False
    await asyncio.gather(*(alice.upload(path) for path in files))
    await services.jobs.idle()
    shown = texts(alice.new_replies())
    assert shown.count("📦") == 1 and shown.count(t(lang, "match.found.searching")) == 1
    assert plural(lang, "summary.following", 15) in shown and "@alice_3" in shown


async def test_several_files_in_one_console_message(
    dispatcher: Dispatcher, tmp_path: Path
) -> None:
    """Item 3 on the console: ``/upload A B C`` is one upload, then /match answers."""
    services = dispatcher.services
    services.settings = services.settings.model_copy(update={"upload_batch_s": 0.3})
    files = loose(tmp_path, "D", ["account.js", "following.js", "follower.js"])
    out = io.StringIO()
    platform = ConsolePlatform(out, tmp_path / "files")
    script = "/lang fr\n/upload " + " ".join(str(p) for p in files) + "\n/match\n"
    await run_console(dispatcher, io.StringIO(script), out, platform)
    shown = out.getvalue()
    assert shown.count("📦") == 1 and shown.count(t("fr", "upload.read_done")) == 3
    assert shown.index("📦") < shown.index(t("fr", "match.none"))
    either = t("fr", "archive.posts_file_either")
    assert t("fr", "match.bare.no_posts", file=either) in shown


@pytest.mark.parametrize("lang", LANGS)
async def test_classic_archive_asks_for_a_new_archive(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path, lang: str
) -> None:
    """A classic tweet archive never had follow lists: the bot asks for a new archive,
    not for "these two files from your archive"."""
    upload, _ = make(tmp_path, "A")
    alice = chat(dispatcher, platform, lang)
    shown = texts(await alice.upload(upload)) + texts(await alice.say("/match"))
    assert t(lang, "archive.warning.classic_no_follows") in shown
    assert t(lang, "match.need_lists_classic") in shown
    assert t(lang, "match.need_lists") not in shown and "🔗" in shown
    assert t(lang, "match.found.searching") not in shown


async def test_a_whole_archive_is_answered_without_the_wait(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path
) -> None:
    """A zip replaces what was stored: its summary does not wait for more files."""
    services = dispatcher.services
    services.settings = services.settings.model_copy(update={"upload_batch_s": 30.0})
    upload, _ = make(tmp_path, "H")
    started = time.monotonic()
    shown = texts(await chat(dispatcher, platform, "en").upload(upload))
    assert "📦" in shown and time.monotonic() - started < 15
