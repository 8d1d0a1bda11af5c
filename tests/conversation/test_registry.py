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
