"""The conversation as a user sees it, through the real dispatcher, handlers and storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.conversation import Command, CommandRegistry, Context, Dispatcher
from chatbot.conversation.throttle import Throttle
from chatbot.i18n import Translator
from chatbot.platforms.base import PlatformLimits, RecordingPlatform, Text
from chatbot.services import Services
from handlers import build_registry, start
from tests.conversation.harness import SAMPLES, Chat, images, make_zip, texts

DOGSHEEP = SAMPLES / "dogsheep-twitter-to-sqlite-2019"


@pytest.fixture
def simonw_zip(tmp_path: Path) -> Path:
    return make_zip(
        tmp_path / "twitter-2019-10-10-abc.zip",
        {name: DOGSHEEP / name for name in ("account.js", "follower.js", "following.js")},
    )


async def test_start_and_help(dispatcher: Dispatcher, platform: RecordingPlatform) -> None:
    chat = Chat(dispatcher, platform)
    assert "leave X for Bluesky and Mastodon" in texts(await chat.say("/start"))
    help_text = texts(await chat.say("/help"))
    assert "/lang [en|fr]" in help_text and "/forget" in help_text
    assert "/start" not in help_text  # hidden
    assert "“nope”" in texts(await chat.say("/nope"))


async def test_language_from_hint_then_buttons(
    dispatcher: Dispatcher, platform: RecordingPlatform
) -> None:
    chat = Chat(dispatcher, platform, language_hint="fr-FR")
    assert "Bonjour" in texts(await chat.say("/start"))
    [question] = await chat.say("/lang")
    assert isinstance(question, Text)
    assert [b.data for row in question.buttons for b in row] == ["lang:en", "lang:fr"]
    assert "English from now on" in texts(await chat.press("lang:en"))
    assert "What I can do" in texts(await chat.say("/help"))  # the stored choice beats the hint
    assert "français" in texts(await chat.say("/lang fr"))
    assert "« de »" in texts(await chat.say("/lang de"))


async def test_numbered_choices_where_there_are_no_buttons(
    dispatcher: Dispatcher,
) -> None:
    matrix = RecordingPlatform(
        name="matrix",
        limits=PlatformLimits(max_download_bytes=None, max_upload_bytes=None, buttons=False),
    )
    chat = Chat(dispatcher, matrix)
    shown = texts(await chat.say("/lang"))
    assert "1. English" in shown and "2. Français" in shown
    assert "français" in texts(await chat.say("2"))
    assert "archive X" in texts(await chat.say("2"))  # consumed: plain text again


async def test_archive_summary_then_forget(
    dispatcher: Dispatcher, platform: RecordingPlatform, services: Services, simonw_zip: Path
) -> None:
    chat = Chat(dispatcher, platform)
    replies = await chat.upload(simonw_zip)
    shown = texts(replies)
    assert "@simonw (Simon Willison)" in shown
    assert "2 followers" in shown and "2 accounts followed" in shown
    assert "swillison@example.com" not in shown and "5555555555" not in shown
    assert list(services.settings.uploads_dir.iterdir()) == []  # raw upload deleted
    assert "@simonw" in texts(await chat.say("/summary"))
    [question] = await chat.say("/forget")
    assert isinstance(question, Text) and question.buttons
    assert "Nothing was deleted" in texts(await chat.press("forget:no"))
    assert "deleted everything" in texts(await chat.press("forget:yes"))
    assert "don't have an archive" in texts(await chat.say("/summary"))


async def test_summary_in_french_with_a_chart(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path
) -> None:
    milahu = SAMPLES / "milahu-twitter-milahu104-2026"
    archive = make_zip(
        tmp_path / "twitter-2026-03-06-x.zip",
        {
            "data/manifest.js": milahu / "manifest.js",
            "data/profile.js": milahu / "profile.js",
            "data/follower.js": milahu / "follower.excerpt.js",
            "data/following.js": milahu / "following.excerpt.js",
            "data/tweets.js": milahu / "tweets.excerpt.js",
            "data/tweet-headers.js": milahu / "tweet-headers.excerpt.js",
            "data/note-tweet.js": milahu / "note-tweet.js",
        },
    )
    chat = Chat(dispatcher, platform, language_hint="fr")
    replies = await chat.upload(archive)
    shown = texts(replies)
    assert "@milahu104 (Milan Hauth)" in shown
    assert "abonnés" in shown
    [chart] = images(replies)
    assert chart.data.startswith(b"\x89PNG")


async def test_bad_files_get_a_clear_message_in_the_users_language(
    dispatcher: Dispatcher, platform: RecordingPlatform, tmp_path: Path
) -> None:
    pdf = tmp_path / "notes.pdf"
    pdf.write_bytes(b"%PDF-1.4 not an archive")
    chat = Chat(dispatcher, platform, language_hint="fr")
    shown = texts(await chat.upload(pdf))
    assert "Réception" in shown
    _, final = platform.edits[-1]
    assert final.text == Translator("fr")("archive.error.not_archive")


async def test_too_big_for_the_platform_gets_guidance(
    dispatcher: Dispatcher, tmp_path: Path
) -> None:
    telegram = RecordingPlatform(
        name="telegram",
        limits=PlatformLimits(max_download_bytes=20_000_000, max_upload_bytes=50_000_000),
    )
    big = tmp_path / "twitter-2024.zip"
    with big.open("wb") as handle:
        handle.truncate(30_000_000)
    shown = texts(await Chat(dispatcher, telegram).upload(big))
    assert "20 MB" in shown
    assert "following.js, follower.js and account.js" in shown


async def test_groups_never_see_personal_data(
    dispatcher: Dispatcher, platform: RecordingPlatform, simonw_zip: Path
) -> None:
    private = Chat(dispatcher, platform)
    await private.upload(simonw_zip)
    group = Chat(dispatcher, platform, chat="group-1", private=False)
    assert await group.say("hello everyone", addressed=False) == []
    shown = texts(await group.say("/summary"))
    assert "private chat" in shown
    assert "simonw" not in shown and "followers" not in shown
    shown = texts(await group.upload(simonw_zip))
    assert "private chat" in shown and "simonw" not in shown
    assert "What I can do" in texts(await group.say("/help"))


async def test_one_users_failure_does_not_affect_another(
    dispatcher: Dispatcher, platform: RecordingPlatform
) -> None:
    async def broken(ctx: object) -> None:
        raise RuntimeError("boom")

    registry = CommandRegistry()
    registry.add(Command("summary", broken, "help.cmd.summary"))
    registry.add(Command("help", start.help_, "help.cmd.help"))
    dispatcher = Dispatcher(dispatcher.services, registry)
    alice, bob = Chat(dispatcher, platform, user="alice"), Chat(dispatcher, platform, user="bob")
    shown = texts(await alice.say("/summary"))
    assert "something went wrong" in shown and "reference" in shown
    assert "What I can do" in texts(await bob.say("/help"))


async def test_a_flooding_user_is_slowed_down_alone(
    services: Services, platform: RecordingPlatform
) -> None:
    dispatcher = Dispatcher(services, build_registry(), Throttle(limit=5, window_s=60))
    flooder, calm = Chat(dispatcher, platform, user="f"), Chat(dispatcher, platform, user="c")
    answered = [bool(await flooder.say("/help")) for _ in range(8)]
    assert answered[:5] == [True] * 5
    warning = texts(platform.sent[-1:] and [platform.sent[-1][1]])
    assert "faster than I can handle" in warning
    assert answered[6:] == [False, False]  # later ones dropped silently
    assert "What I can do" in texts(await calm.say("/help"))


async def test_several_questions_in_one_answer_are_numbered_on(services: Services) -> None:
    """Without buttons, the numbers of one answer's questions never collide."""

    async def two_questions(ctx: Context) -> None:
        await ctx.ask("first?", [("yes", "q:1y"), ("no", "q:1n")])
        await ctx.ask("second?", [("yes", "q:2y"), ("no", "q:2n")])

    async def answered(ctx: Context) -> None:
        await ctx.reply(Text(f"got {ctx.message.callback}"))

    registry = CommandRegistry()
    registry.add(Command("ask", two_questions, "help.cmd.help"))
    registry.add_callback("q", answered)
    matrix = RecordingPlatform(
        name="matrix",
        limits=PlatformLimits(max_download_bytes=None, max_upload_bytes=None, buttons=False),
    )
    chat = Chat(Dispatcher(services, registry), matrix)
    shown = texts(await chat.say("/ask"))
    assert "1. yes" in shown and "2. no" in shown and "3. yes" in shown and "4. no" in shown
    assert texts(await chat.say("3")) == "got q:2y"
