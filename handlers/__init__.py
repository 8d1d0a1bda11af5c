"""Conversation handlers: platform-neutral, one module per concern.

`build_registry` declares every command once, in the order a migration goes (`/help`
lists them in that order): the archive, the matches, the new accounts, the follows and
files, then forgetting.
"""

from chatbot.conversation import Context
from chatbot.conversation.registry import Command, CommandRegistry, Handler
from handlers import (
    archive,
    blocks,
    connect,
    connect_flow,
    connect_mastodon,
    consent,
    directory_admin,
    export,
    follow,
    forget,
    group,
    group_approval,
    group_progress,
    group_roster,
    handover,
    import_posts,
    join,
    language,
    link,
    match,
    match_reports,
    profile,
    start,
    undo,
)

NETWORK = "bluesky|mastodon"
GROUP_USAGE = "[setup NAME | lang | account | roster | audience | digest | starterpack | list | …]"


async def file_received(ctx: Context) -> None:
    """A file in a private chat: the CSV an admin announced, the archive `/import posts`
    asked for again, otherwise an archive to read. In scale-out mode a front end hands
    every file to the workers, which route it the same way."""
    if ctx.services.queue is not None and not ctx.services.in_worker:
        await handover.hand_over(ctx)
    elif await directory_admin.expecting_csv(ctx):
        await directory_admin.csv_received(ctx)
    elif (org_id := await group_roster.expecting_csv(ctx)) is not None:
        await group_roster.csv_received(ctx, org_id)
    elif await import_posts.expecting_archive(ctx):
        await import_posts.archive_received(ctx)
    else:
        await archive.received(ctx)


def build_registry() -> CommandRegistry:
    registry = CommandRegistry()

    def personal(name: str, handler: Handler, usage: str = "", secret: int | None = None) -> None:
        registry.add(Command(name, handler, f"help.cmd.{name}", usage, private_only=True,
                             secret_args=secret))  # fmt: skip

    registry.add(Command("start", start.start, "help.cmd.start", hidden=True))
    registry.add(Command("help", start.help_, "help.cmd.help"))
    registry.add(Command("lang", language.lang, "help.cmd.lang", usage="[en|fr]"))
    personal("summary", archive.summary)
    personal("match", match.match)
    personal("link", link.link, "bluesky HANDLE | mastodon USER@INSTANCE | x POST_URL | check")
    personal("findable", consent.findable, "[on|off]")
    personal("unlink", consent.unlink, f"[{NETWORK}]")
    personal("notify", consent.notify, "[on|off]")
    personal("connect", connect.connect, f"[{NETWORK}]", secret=1)  # after the network
    personal("disconnect", connect.disconnect, NETWORK)
    personal("follow", follow.follow, f"{NETWORK} [verified|likely]")
    personal("status", follow.status)
    personal("pause", follow.pause)
    personal("resume", follow.resume)
    personal("cancel", follow.cancel)
    personal("export", export.export, "[all] | list [NAME] | starterpack [NAME] | blocks")
    personal("profile", profile.profile, f"[{NETWORK}]")
    personal("import", import_posts.import_, "posts [dry] [FROM] [TO]")
    personal("blocks", blocks.blocks, f"[{NETWORK}]")
    personal("undo", undo.undo, f"[follows|posts|lists|blocks|profile] [{NETWORK}]")
    personal("forget", forget.forget)
    # organisations (issue 6): in their group chat; admin subcommands checked by /group
    registry.add(Command("group", group.group, "help.cmd.group", GROUP_USAGE, group_only=True))
    registry.add(Command("join", join.join, "help.cmd.join", group_only=True))
    registry.add(Command("progress", group_progress.progress, "help.cmd.progress",
                         group_only=True))  # fmt: skip
    registry.add(Command("leave", join.leave, "help.cmd.leave"))
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
    for name, handler in (("orgs", group_approval.orgs), ("reports", match_reports.reports)):
        registry.add(Command(name, handler, f"help.cmd.{name}", private_only=True,
                             admin_only=True, hidden=True))  # fmt: skip
    registry.add_callback("lang", language.chosen)
    registry.add_callback("forget", forget.confirmed, private_only=True)
    registry.add_callback("m", match.pressed, private_only=True)
    registry.add_callback("fw", follow.pressed, private_only=True)
    registry.add_callback("findable", consent.findable_pressed, private_only=True)
    registry.add_callback("notify", consent.notify_pressed, private_only=True)
    registry.add_callback("profile", profile.pressed, private_only=True)
    registry.add_callback("posts", import_posts.pressed, private_only=True)
    registry.add_callback("blk", blocks.pressed, private_only=True)
    registry.add_callback("undo", undo.pressed, private_only=True)
    registry.add_callback("mscope", connect_mastodon.scope_pressed, private_only=True)
    registry.add_callback("org", group.pressed)
    registry.event_handler = join.chat_event
    registry.file_handler = file_received
    # free text: the next step of /connect when one is expected, otherwise a hint
    registry.text_handler = connect.text_router(start.free_text)
    registry.secret_steps = connect_flow.SECRET_STEPS  # they delete the password themselves
    return registry
