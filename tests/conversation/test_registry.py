"""The command registry names its handlers and imports each one on first use."""

from __future__ import annotations

import inspect

import pytest

from chatbot.conversation.registry import LazyHandler, lazy
from chatbot.platforms.base import RecordingPlatform
from handlers import build_registry
from tests.conversation.harness import Chat, texts


def test_every_declared_handler_resolves_to_a_coroutine_function() -> None:
    registry = build_registry()
    handlers = registry.handlers()
    assert len(handlers) > 35
    for handler in handlers:
        assert isinstance(handler, LazyHandler), handler
        assert inspect.iscoroutinefunction(handler.resolve()), handler.ref


def test_a_bad_reference_is_refused_or_fails_on_first_use() -> None:
    for bad in ("handlers.start", "handlers.start:", ":start", "handlers.start:not a name"):
        with pytest.raises(ValueError):
            lazy(bad)
    with pytest.raises(AttributeError):
        LazyHandler("handlers.start:nothing_here").resolve()
    with pytest.raises(TypeError):
        LazyHandler("handlers:GROUP_USAGE").resolve()


async def test_help_is_still_generated_from_the_registry(
    dispatcher: object, platform: RecordingPlatform
) -> None:
    chat = Chat(dispatcher, platform)  # type: ignore[arg-type]
    shown = texts(await chat.say("/help"))
    for command in build_registry().visible():
        assert f"/{command.name}" in shown
    assert "/import_directory" not in shown and "/start" not in shown  # hidden


async def test_free_text_is_offered_to_a_waiting_login_first(
    dispatcher: object, platform: RecordingPlatform
) -> None:
    """The lazy text route keeps the order of the integ side: a message shaped like a
    Bluesky login code goes to the login even when no /connect step is pending (the one
    who was sent someone else's link is warned); any other text gets the hint."""
    chat = Chat(dispatcher, platform)  # type: ignore[arg-type]
    assert "No Bluesky login is waiting for a code" in texts(await chat.say("ABCD-EFGH"))
    assert "Send me your X archive" in texts(await chat.say("hello, what now?"))
