"""Commands declared once, with their metadata; `/help` is built from this registry.

A handler may be named by ``"module:function"`` (`lazy`): its module is imported on the
first call, so building the registry imports no handler, and a process loads only the
handlers its users need (the chat and network SDKs they pull in are heavy).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatbot.conversation.context import Context

Handler = Callable[["Context"], Awaitable[None]]


class LazyHandler:
    """A handler named by ``"module:function"``, imported on its first call."""

    __slots__ = ("_target", "ref")

    def __init__(self, ref: str) -> None:
        module, _, name = ref.partition(":")
        if not module or not name.isidentifier():
            raise ValueError(f"a handler reference is 'module:function', not {ref!r}")
        self.ref = ref
        self._target: Handler | None = None

    def resolve(self) -> Handler:
        """The handler itself (its module is imported the first time)."""
        if self._target is None:
            module, _, name = self.ref.partition(":")
            target = getattr(importlib.import_module(module), name)
            if not callable(target):
                raise TypeError(f"{self.ref} is not a handler")
            self._target = target
        return self._target

    async def __call__(self, ctx: Context) -> None:
        await self.resolve()(ctx)

    def __repr__(self) -> str:
        return f"lazy({self.ref!r})"


def lazy(ref: str) -> Handler:
    """The handler `ref` (``"handlers.export:export"``), imported when first called."""
    return LazyHandler(ref)


class UserFacingError(Exception):
    """An expected failure to show the user: a locale key and its parameters."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Command:
    """One chat command.

    Attributes:
        name: what follows the slash (or ``!`` on Matrix).
        handler: the coroutine that runs it (or `lazy` one, imported on first use).
        help_key: locale key of the one-line description shown by ``/help``.
        usage: the arguments shown by ``/help`` (not translated: command syntax).
        private_only: personal commands; in a group the bot moves to a private chat.
        admin_only: only the bot's administrators (setting CHATBOT_ADMINS) may run it.
        group_only: organisation commands, run in a group chat only.
        group_admin_only: only the group's own administrators may run it (checked with
            the platform: Telegram administrator rights, Matrix power level >= 50).
        hidden: not listed by ``/help``.
        secret_args: the position of the first argument that may hold a secret (a
            password, a token), None when none may: in a group, a message with such an
            argument is deleted and its sender warned privately (`secret_guard`).
    """

    name: str
    handler: Handler
    help_key: str
    usage: str = ""
    private_only: bool = False
    admin_only: bool = False
    group_only: bool = False
    group_admin_only: bool = False
    hidden: bool = False
    aliases: tuple[str, ...] = ()
    secret_args: int | None = None


@dataclass(frozen=True)
class CallbackRoute:
    """Button presses whose data starts with ``prefix:`` go to `handler`."""

    prefix: str
    handler: Handler
    private_only: bool = False


class CommandRegistry:
    """Built explicitly at start-up (no import side effects)."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._ordered: list[Command] = []
        self._callbacks: dict[str, CallbackRoute] = {}
        self.file_handler: Handler | None = None
        self.text_handler: Handler | None = None
        self.event_handler: Handler | None = None  # chat events (`ChatEvent`), no reply
        # called once a private file was handled, with its upload batch's generation
        # (`chatbot.conversation.batches`): ends the batch when no other file follows
        self.file_done: Callable[[Context, int], Awaitable[None]] | None = None
        # pending steps whose handler expects (and deletes) a secret in the next message
        self.secret_steps: frozenset[str] = frozenset()

    def add(self, command: Command) -> None:
        for name in (command.name, *command.aliases):
            if name in self._commands:
                raise ValueError(f"command /{name} registered twice")
            self._commands[name] = command
        self._ordered.append(command)

    def add_callback(self, prefix: str, handler: Handler, *, private_only: bool = False) -> None:
        if prefix in self._callbacks or ":" in prefix:
            raise ValueError(f"bad or duplicate callback prefix {prefix!r}")
        self._callbacks[prefix] = CallbackRoute(prefix, handler, private_only)

    def names(self) -> list[str]:
        """Every command name and alias."""
        return list(self._commands)

    def get(self, name: str) -> Command | None:
        return self._commands.get(name.lower())

    def callback(self, data: str) -> CallbackRoute | None:
        return self._callbacks.get(data.split(":", 1)[0])

    def callback_prefixes(self) -> list[str]:
        """The registered callback prefixes, in registration order."""
        return list(self._callbacks)

    def visible(self) -> Iterator[Command]:
        return (c for c in self._ordered if not c.hidden)

    def handlers(self) -> list[Handler]:
        """Every handler: commands, callbacks, files, text and events (for checks)."""
        found: list[Handler] = [c.handler for c in self._ordered]
        found += [route.handler for route in self._callbacks.values()]
        found += [h for h in (self.file_handler, self.text_handler, self.event_handler) if h]
        return found
