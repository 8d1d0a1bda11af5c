"""Conversation handlers: platform-neutral, one module per concern.

`build_registry` declares every command once; `/help` is generated from it.
"""

from chatbot.conversation.registry import Command, CommandRegistry
from handlers import archive, forget, language, start


def build_registry() -> CommandRegistry:
    registry = CommandRegistry()
    registry.add(Command("start", start.start, "help.cmd.start", hidden=True))
    registry.add(Command("help", start.help_, "help.cmd.help"))
    registry.add(Command("lang", language.lang, "help.cmd.lang", usage="[en|fr]"))
    registry.add(Command("summary", archive.summary, "help.cmd.summary", private_only=True))
    registry.add(Command("forget", forget.forget, "help.cmd.forget", private_only=True))
    registry.add_callback("lang", language.chosen)
    registry.add_callback("forget", forget.confirmed, private_only=True)
    registry.file_handler = archive.received
    registry.text_handler = start.free_text
    return registry
