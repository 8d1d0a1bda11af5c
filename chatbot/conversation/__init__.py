"""The platform-neutral conversation: command registry, per-event context, dispatcher.

The names below are loaded on first use (PEP 562): the registry alone, which `handlers`
needs to declare the commands, does not bring the dispatcher and its storage.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatbot.conversation.context import Context, Progress
    from chatbot.conversation.dispatcher import Dispatcher
    from chatbot.conversation.registry import Command, CommandRegistry, UserFacingError

__all__ = ["Command", "CommandRegistry", "Context", "Dispatcher", "Progress", "UserFacingError"]

_MODULES = {
    "Command": "registry",
    "CommandRegistry": "registry",
    "Context": "context",
    "Dispatcher": "dispatcher",
    "Progress": "context",
    "UserFacingError": "registry",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
