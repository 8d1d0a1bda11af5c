"""The platform-neutral conversation: command registry, per-event context, dispatcher."""

from chatbot.conversation.context import Context, Progress
from chatbot.conversation.dispatcher import Dispatcher
from chatbot.conversation.registry import Command, CommandRegistry, UserFacingError

__all__ = ["Command", "CommandRegistry", "Context", "Dispatcher", "Progress", "UserFacingError"]
