"""Conversation handlers: platform-neutral, one module per concern.

`build_registry` declares every command once; `/help` is generated from it.
"""

from chatbot.conversation import Context
from chatbot.conversation.registry import Command, CommandRegistry
from handlers import archive, consent, directory_admin, forget, language, link, match, start
from handlers import connect as account_connect
from handlers import follow as follow_jobs


async def file_received(ctx: Context) -> None:
    """A file in a private chat: the CSV an admin announced, otherwise an archive."""
    if directory_admin.expecting_csv(ctx):
        await directory_admin.csv_received(ctx)
    else:
        await archive.received(ctx)


def build_registry() -> CommandRegistry:
    registry = CommandRegistry()
    registry.add(Command("start", start.start, "help.cmd.start", hidden=True))
    registry.add(Command("help", start.help_, "help.cmd.help"))
    registry.add(Command("lang", language.lang, "help.cmd.lang", usage="[en|fr]"))
    registry.add(Command("summary", archive.summary, "help.cmd.summary", private_only=True))
    registry.add(Command("match", match.match, "help.cmd.match", private_only=True))
    registry.add(
        Command(
            "link",
            link.link,
            "help.cmd.link",
            usage="bluesky HANDLE | mastodon USER@INSTANCE | x POST_URL | check",
            private_only=True,
        )
    )
    registry.add(
        Command("findable", consent.findable, "help.cmd.findable", "[on|off]", private_only=True)
    )
    registry.add(Command("unlink", consent.unlink, "help.cmd.unlink", "[bluesky|mastodon]", True))
    registry.add(Command("notify", consent.notify, "help.cmd.notify", "[on|off]", True))
    registry.add(Command("forget", forget.forget, "help.cmd.forget", private_only=True))
    registry.add(Command("follow", follow_jobs.follow, "help.cmd.follow",
                         "bluesky|mastodon [verified|likely]", True))  # fmt: skip
    registry.add(Command("status", follow_jobs.status, "help.cmd.status", private_only=True))
    registry.add(Command("pause", follow_jobs.pause, "help.cmd.pause", private_only=True))
    registry.add(Command("resume", follow_jobs.resume, "help.cmd.resume", private_only=True))
    registry.add(Command("cancel", follow_jobs.cancel, "help.cmd.cancel", private_only=True))
    registry.add(
        Command(
            "import_directory",
            directory_admin.import_directory,
            "help.cmd.import_directory",
            private_only=True,
            admin_only=True,
            hidden=True,
        )
    )
    registry.add_callback("lang", language.chosen)
    registry.add_callback("forget", forget.confirmed, private_only=True)
    registry.add_callback("m", match.pressed, private_only=True)
    registry.add_callback("findable", consent.findable_pressed, private_only=True)
    registry.add_callback("notify", consent.notify_pressed, private_only=True)
    registry.file_handler = file_received
    registry.text_handler = start.free_text
    connect = account_connect
    registry.add(Command("connect", connect.connect, "help.cmd.connect",
                         "[bluesky|mastodon]", True))  # fmt: skip
    registry.add(Command("disconnect", connect.disconnect, "help.cmd.disconnect",
                         "bluesky|mastodon", True))  # fmt: skip
    registry.text_handler = connect.text_router(registry.text_handler)  # /connect's next steps
    return registry
