"""Conversation handlers: platform-neutral, one module per concern.

`build_registry` declares every command once, in the order a migration goes (`/help`
lists them in that order): the archive, the matches, the new accounts, the follows and
files, then forgetting. Handlers are named ``"module:function"`` and imported on first
use: building the registry imports none of them (nor the SDKs they use).
"""

from chatbot.conversation.registry import Command, CommandRegistry, lazy

NETWORK = "bluesky|mastodon"
LINK_USAGE = "bluesky HANDLE | mastodon USER@INSTANCE | x POST_URL | check"
EXPORT_USAGE = "[all] | list [NAME] | starterpack [NAME] | blocks"
# the /connect steps (`handlers.connect_flow`) whose next message may rightly hold an app
# password ("handle password" at the handle prompt): their handler deletes it; elsewhere
# the secret guard does
SECRET_STEPS = frozenset({"bluesky_handle", "bluesky_password"})
GROUP_USAGE = "[setup NAME | lang | account | roster | audience | digest | starterpack | list | …]"


def build_registry() -> CommandRegistry:
    registry = CommandRegistry()

    def personal(name: str, handler: str, usage: str = "", secret: int | None = None) -> None:
        registry.add(Command(name, lazy(handler), f"help.cmd.{name}", usage, private_only=True,
                             secret_args=secret))  # fmt: skip

    def in_group(name: str, handler: str, usage: str = "") -> None:
        registry.add(Command(name, lazy(handler), f"help.cmd.{name}", usage, group_only=True))

    registry.add(Command("start", lazy("handlers.start:start"), "help.cmd.start", hidden=True))
    registry.add(Command("help", lazy("handlers.start:help_"), "help.cmd.help"))
    registry.add(Command("lang", lazy("handlers.language:lang"), "help.cmd.lang", "[en|fr]"))
    personal("summary", "handlers.archive:summary")
    personal("match", "handlers.match:match")
    personal("link", "handlers.link:link", LINK_USAGE)
    personal("findable", "handlers.consent:findable", "[on|off]")
    personal("unlink", "handlers.consent:unlink", f"[{NETWORK}]")
    personal("notify", "handlers.consent:notify", "[on|off]")
    personal("connect", "handlers.connect:connect", f"[{NETWORK}]", secret=1)  # after the network
    personal("disconnect", "handlers.connect:disconnect", NETWORK)
    personal("follow", "handlers.follow:follow", f"{NETWORK}|threads [verified|likely]")
    personal("status", "handlers.follow:status")
    personal("pause", "handlers.follow:pause")
    personal("resume", "handlers.follow:resume")
    personal("cancel", "handlers.follow:cancel")
    personal("export", "handlers.export:export", EXPORT_USAGE)
    personal("profile", "handlers.profile:profile", f"[{NETWORK}]")
    personal("import", "handlers.import_posts:import_", "posts [dry] [FROM] [TO]")
    personal("blocks", "handlers.blocks:blocks", f"[{NETWORK}]")
    personal("undo", "handlers.undo:undo", f"[follows|posts|lists|blocks|profile] [{NETWORK}]")
    personal("forget", "handlers.forget:forget")
    # organisations (issue 6): in their group chat; admin subcommands checked by /group
    in_group("group", "handlers.group:group", GROUP_USAGE)
    in_group("join", "handlers.join:join")
    in_group("progress", "handlers.group_progress:progress")
    registry.add(Command("leave", lazy("handlers.join:leave"), "help.cmd.leave"))
    registry.add(
        Command(
            "import_directory",
            lazy("handlers.directory_admin:import_directory"),
            "help.cmd.import_directory",
            private_only=True,
            admin_only=True,
            hidden=True,
        )
    )
    for name, handler in (("orgs", "handlers.group_approval:orgs"),
                          ("reports", "handlers.match_reports:reports")):  # fmt: skip
        registry.add(Command(name, lazy(handler), f"help.cmd.{name}", private_only=True,
                             admin_only=True, hidden=True))  # fmt: skip
    registry.add_callback("lang", lazy("handlers.language:chosen"))
    registry.add_callback("forget", lazy("handlers.forget:confirmed"), private_only=True)
    registry.add_callback("m", lazy("handlers.match:pressed"), private_only=True)
    registry.add_callback("fw", lazy("handlers.follow:pressed"), private_only=True)
    registry.add_callback("findable", lazy("handlers.consent:findable_pressed"),
                          private_only=True)  # fmt: skip
    registry.add_callback("notify", lazy("handlers.consent:notify_pressed"), private_only=True)
    registry.add_callback("profile", lazy("handlers.profile:pressed"), private_only=True)
    registry.add_callback("posts", lazy("handlers.import_posts:pressed"), private_only=True)
    registry.add_callback("blk", lazy("handlers.blocks:pressed"), private_only=True)
    registry.add_callback("undo", lazy("handlers.undo:pressed"), private_only=True)
    registry.add_callback(
        "mscope", lazy("handlers.connect_mastodon:scope_pressed"), private_only=True
    )
    registry.add_callback("org", lazy("handlers.group:pressed"))
    registry.event_handler = lazy("handlers.join:chat_event")
    registry.file_handler = lazy("handlers.incoming:file_received")
    # free text: the code of an approved Bluesky login, the next step of /connect when one
    # is expected, otherwise a hint
    registry.text_handler = lazy("handlers.incoming:text_received")
    registry.secret_steps = SECRET_STEPS  # their handler deletes the password itself
    return registry
