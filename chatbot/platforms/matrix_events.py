"""Matrix events → neutral messages: commands, the addressing rule, attachments.

Pure functions (no network), so the rules below are easy to test and to read.

Addressing rule (Matrix has no per-bot command namespace like Telegram's ``/cmd@bot``):

* In a direct room every message is addressed to the bot.
* In a group room the bot is addressed by
  - a command (``!cmd`` or ``/cmd``) that the bot knows: several bots in one room
    may share a command name, so unknown commands are left to the other bots;
  - any message that mentions the bot (its user id, its display name or its
    localpart at the start, a pill link, or ``m.mentions``), e.g. ``bot: !cmd``;
  - a reply to one of the bot's messages;
  - a file that looks like an X archive or one of its data files (``.zip``, ``.js``),
    so that the bot can move the sender to a private room; other files (photos...)
    shared in a group are not for the bot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chatbot.platforms.base import Attachment

COMMAND_PREFIXES = ("!", "/")
_COMMAND = re.compile(r"^[!/]([A-Za-z][A-Za-z0-9_-]*)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)
ARCHIVE_MIME_TYPES = frozenset(
    {
        "application/zip",
        "application/x-zip-compressed",
        "application/javascript",
        "text/javascript",
    }
)
ENCRYPTED_PREFIX = "{"  # Attachment.file_id of an encrypted file is its JSON "file" object


@dataclass(frozen=True)
class ParsedText:
    """What a text message asks for."""

    text: str
    command: str | None
    args: tuple[str, ...]
    addressed: bool


@dataclass(frozen=True)
class BotNames:
    """The ways a user can name the bot in a message."""

    user_id: str
    display_name: str | None = None

    @property
    def localpart(self) -> str:
        return self.user_id.removeprefix("@").split(":", 1)[0]

    def prefixes(self) -> list[str]:
        names = [self.user_id, self.localpart]
        if self.display_name:
            names.append(self.display_name)
        # longest first, so "Migration Bot" wins over "Migration"
        return sorted({n for n in names if n}, key=len, reverse=True)


def strip_reply_fallback(body: str) -> str:
    """Remove the quoted "> <@user> ..." block that older clients put before a reply."""
    if not body.startswith("> "):
        return body
    lines = body.split("\n")
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:]).lstrip("\n")


def _strip_mention(body: str, names: BotNames) -> tuple[str, bool]:
    """Remove a leading "bot: " / "@bot:server, " mention; say whether there was one."""
    lowered = body.casefold()
    for name in names.prefixes():
        for candidate in (name, "@" + name):
            if lowered.startswith(candidate.casefold()):
                rest = body[len(candidate) :]
                if not rest or rest[0] in ":, \t\n":
                    return rest.lstrip(":, \t\n"), True
    return body, False


def mentions_bot(content: dict[str, Any], body: str, names: BotNames) -> bool:
    """Whether a message names the bot anywhere (m.mentions, a pill, the plain id or name)."""
    mentions = content.get("m.mentions")
    if isinstance(mentions, dict) and names.user_id in (mentions.get("user_ids") or ()):
        return True
    formatted = content.get("formatted_body")
    if isinstance(formatted, str) and names.user_id in formatted:
        return True
    lowered = body.casefold()
    if names.user_id.casefold() in lowered:
        return True
    return bool(
        names.display_name
        and re.search(rf"(?<!\w){re.escape(names.display_name.casefold())}(?!\w)", lowered)
    )


def parse_text(
    content: dict[str, Any],
    *,
    names: BotNames,
    private: bool,
    reply_to_bot: bool,
    known_command: Callable[[str], bool],
) -> ParsedText:
    """Turn an m.text body into a command or text, and decide whether it is addressed."""
    raw = content.get("body")
    body = strip_reply_fallback(raw if isinstance(raw, str) else "").strip()
    mentioned = mentions_bot(content, body, names)
    rest, leading = _strip_mention(body, names)
    command: str | None = None
    args: tuple[str, ...] = ()
    match = _COMMAND.match(rest.strip())
    if match:
        command = match.group(1).lower()
        args = tuple((match.group(2) or "").split())
    addressed = (
        private
        or mentioned
        or leading
        or reply_to_bot
        or (command is not None and known_command(command))
    )
    text = rest.strip() if leading else body
    return ParsedText(text=text, command=command, args=args, addressed=addressed)


def reply_target(content: dict[str, Any]) -> str | None:
    """The event id this message replies to (rich replies), if any."""
    relates = content.get("m.relates_to")
    if not isinstance(relates, dict):
        return None
    in_reply_to = relates.get("m.in_reply_to")
    if isinstance(in_reply_to, dict) and isinstance(in_reply_to.get("event_id"), str):
        return str(in_reply_to["event_id"])
    return None


def is_edit(content: dict[str, Any]) -> bool:
    """An m.replace edit of an earlier message (we never re-run a command on an edit)."""
    relates = content.get("m.relates_to")
    return isinstance(relates, dict) and relates.get("rel_type") == "m.replace"


def edited_text(content: dict[str, Any]) -> str | None:
    """The new text of an m.replace edit (None for anything else)."""
    new = content.get("m.new_content")
    body = new.get("body") if isinstance(new, dict) and is_edit(content) else None
    return body if isinstance(body, str) else None


def attachment_from_content(content: dict[str, Any]) -> Attachment | None:
    """An Attachment for an m.file/m.image/m.video/m.audio content, plain or encrypted.

    `file_id` is the mxc URI, or for an encrypted file the JSON of its "file" object
    (url, key, iv, hashes), which `download` needs to decrypt it.
    """
    info = content.get("info") if isinstance(content.get("info"), dict) else {}
    assert isinstance(info, dict)
    encrypted = content.get("file")
    if isinstance(encrypted, dict) and isinstance(encrypted.get("url"), str):
        file_id = json.dumps(encrypted, sort_keys=True)
    elif isinstance(content.get("url"), str) and str(content["url"]).startswith("mxc://"):
        file_id = str(content["url"])
    else:
        return None
    name = content.get("filename") or content.get("body") or "upload"
    size = info.get("size")
    mime = info.get("mimetype")
    return Attachment(
        file_id=file_id,
        name=str(name),
        size=size if isinstance(size, int) and size >= 0 else None,
        mime_type=mime if isinstance(mime, str) else None,
    )


def looks_like_archive(attachment: Attachment) -> bool:
    """A zip or an archive data file (.js), by name or MIME type."""
    name = attachment.name.lower()
    mime = (attachment.mime_type or "").lower()
    return name.endswith((".zip", ".js")) or mime in ARCHIVE_MIME_TYPES


def split_mxc(mxc: str) -> tuple[str, str]:
    """("server", "media id") of an mxc:// URI; ValueError when malformed."""
    if not mxc.startswith("mxc://"):
        raise ValueError(f"not an mxc URI: {mxc!r}")
    server, _, media_id = mxc[len("mxc://") :].partition("/")
    if not server or not media_id or "/" in media_id:
        raise ValueError(f"malformed mxc URI: {mxc!r}")
    return server, media_id


def is_private_room(member_count: int, direct_hint: bool) -> bool:
    """A room is private when only the bot and one person are in it (joined or invited).

    A room flagged direct (m.direct / is_direct invite) still counts as a group as soon as
    a third member is there: personal data must never reach a third person.
    """
    if member_count <= 0:
        return direct_hint
    return member_count <= 2
