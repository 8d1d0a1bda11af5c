"""A private chat with the real bot over the emulated Bot API: greeting, help, language."""

from __future__ import annotations

from chatbot.i18n import translator
from tests.e2e.telegram.conftest import TOKEN, Deployment
from tests.e2e.telegram.driver import text_of

EN = translator("en")
FR = translator("fr")


def test_start_greets_and_explains_how_to_get_the_archive(telegram: Deployment) -> None:
    user = telegram.user()
    user.send("/start")
    replies = user.wait_replies(lambda ms: len(ms) >= 2)
    assert text_of(replies[0]) == EN("start.welcome")
    assert "Download an archive" in text_of(replies[1])


def test_help_lists_the_commands(telegram: Deployment) -> None:
    user = telegram.user()
    user.send("/help")
    reply = user.wait_text(EN("help.title"))
    for command in ("/help", "/lang", "/summary", "/forget"):
        assert command in text_of(reply)
    assert "following.js" in text_of(reply)


def test_language_buttons_switch_to_french(telegram: Deployment) -> None:
    user = telegram.user()
    user.send("/lang")
    question = user.wait_text(EN("lang.choose"))
    rows = question["reply_markup"]["inline_keyboard"]
    data = [button["callback_data"] for row in rows for button in row]
    assert data == ["lang:en", "lang:fr"]

    query = user.press(question, "lang:fr")
    user.wait_text(FR("lang.set"))
    assert user.callback_answered(query)

    user.send("/help")
    assert FR("help.title") in text_of(user.wait_text(FR("help.title")))


def test_language_hint_from_the_telegram_client(telegram: Deployment) -> None:
    user = telegram.user(language_code="fr")
    user.send("/start")
    assert text_of(user.wait_text(FR("start.welcome")[:40])) == FR("start.welcome")


def test_unknown_command_and_free_text_get_an_answer(telegram: Deployment) -> None:
    user = telegram.user()
    user.send("/nosuchcommand with args")
    reply = user.wait_replies(lambda ms: len(ms) >= 1)[0]
    assert "nosuchcommand" in text_of(reply)
    user.send("hello there")
    assert text_of(user.wait_replies(lambda ms: len(ms) >= 1)[0]) == EN("start.free_text")


def test_command_menu_is_published_in_both_languages(telegram: Deployment) -> None:
    commands = telegram.emulator.state()["commands"]
    english = {c["command"]: c["description"] for c in commands["default:"]}
    french = {c["command"]: c["description"] for c in commands["default:fr"]}
    assert english["help"] == EN("help.cmd.help")
    assert french["lang"] == FR("help.cmd.lang")
    assert "start" not in english  # hidden commands stay out of the menu


def test_the_token_never_reaches_the_logs(telegram: Deployment) -> None:
    user = telegram.user()
    user.send("/help")
    user.wait_text(EN("help.title"))
    log = telegram.bot_log()
    assert "telegram is running" in log
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
