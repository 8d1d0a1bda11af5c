"""The platform-neutral conversation: command registry, per-event context, dispatcher.

The names below are loaded on first use (PEP 562): the registry alone, which `handlers`
needs to declare the commands, does not bring the dispatcher and its storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatbot.lazy import exports

if TYPE_CHECKING:
    from chatbot.conversation.context import Context, Progress
    from chatbot.conversation.dispatcher import Dispatcher
    from chatbot.conversation.registry import Command, CommandRegistry, UserFacingError

__all__ = ["Command", "CommandRegistry", "Context", "Dispatcher", "Progress", "UserFacingError"]

__getattr__ = exports(
    __name__,
    {
        "Command": "registry",
        "CommandRegistry": "registry",
        "Context": "context",
        "Dispatcher": "dispatcher",
        "Progress": "context",
        "UserFacingError": "registry",
    },
)
