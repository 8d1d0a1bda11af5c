"""Telegram updates → neutral `IncomingMessage`s, and neutral buttons → inline keyboards.

Addressing rules (what `IncomingMessage.addressed` means on Telegram):

* a private chat is always addressed;
* in a group, a command is addressed when it is bare (``/help``: Telegram's privacy mode
  only delivers it when it is meant for us) or names this bot (``/help@our_bot``); a
  command naming another bot (``/help@other_bot``) is dropped altogether, in any chat;
* other group messages are addressed only when they reply to one of the bot's messages
  or mention ``@our_bot`` (in the text or a file's caption).

``my_chat_member`` updates about the bot in a group become `ChatEvent`s (addressed), and so
does the ``left_chat_member`` service message of someone who left or was removed.
"""

from __future__ import annotations

import re

from telegram import (
    CallbackQuery,
    Chat,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ChatType

from chatbot.platforms.base import (
    Attachment,
    Button,
    ChatEvent,
    ChatRef,
    IncomingMessage,
    UserRef,
)

PLATFORM = "telegram"
GONE = frozenset({"left", "kicked"})  # ChatMember statuses of someone not in the chat
PRESENT = frozenset({"member", "administrator", "creator"})
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?$")


def chat_ref(chat: Chat) -> ChatRef:
    return ChatRef(PLATFORM, str(chat.id), chat.type == ChatType.PRIVATE, chat.title)


def user_ref(user: User) -> UserRef:
    return UserRef(PLATFORM, str(user.id), user.full_name, user.language_code)


def parse_command(text: str, username: str) -> tuple[str, tuple[str, ...], bool] | None:
    """`(command, args, names_us)` for "/cmd[@bot] args", None for text or another bot's."""
    words = text.split()
    if not words:
        return None
    match = _COMMAND.match(words[0])
    if match is None:
        return None
    target = match[2]
    if target is not None and target.lower() != username.lower():
        return None
    return match[1].lower(), tuple(words[1:]), target is not None


def _mentions(message: Message, username: str, bot_id: int) -> bool:
    text = message.text or message.caption or ""
    if username and re.search(rf"(?<![\w@])@{re.escape(username)}\b", text, re.IGNORECASE):
        return True
    found = message.parse_entities([MessageEntity.TEXT_MENTION])
    found.update(message.parse_caption_entities([MessageEntity.TEXT_MENTION]))
    return any(entity.user is not None and entity.user.id == bot_id for entity in found)


def _replies_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


def from_message(message: Message, username: str, bot_id: int) -> IncomingMessage | None:
    """A user's message, or None when it is not for us (another bot's command, a bot)."""
    left = message.left_chat_member
    if left is not None:  # the service message of someone leaving or removed from a group
        if left.is_bot or message.chat.type == ChatType.PRIVATE:
            return None  # the bot's own membership arrives as my_chat_member
        chat = chat_ref(message.chat)
        member = user_ref(left)
        return IncomingMessage(chat, member, f"left:{message.message_id}",
                               event=ChatEvent.MEMBER_LEFT)  # fmt: skip
    sender = message.from_user
    if sender is None or sender.is_bot:
        return None
    chat = chat_ref(message.chat)
    text = message.text or ""
    command: str | None = None
    args: tuple[str, ...] = ()
    names_us = False
    if text.startswith("/"):
        parsed = parse_command(text, username)
        if parsed is None and _COMMAND.match(text.split()[0]):
            return None  # addressed to another bot
        if parsed is not None:
            command, args, names_us = parsed
    attachment = None
    if message.document is not None:
        doc = message.document
        attachment = Attachment(
            file_id=doc.file_id,
            name=doc.file_name or "document",
            size=doc.file_size,
            mime_type=doc.mime_type,
        )
    elif not text:
        return None  # stickers, photos, service messages: nothing for the conversation
    addressed = (
        chat.is_private
        or command is not None
        or names_us
        or _replies_to_bot(message, bot_id)
        or _mentions(message, username, bot_id)
    )
    return IncomingMessage(
        chat=chat,
        user=user_ref(sender),
        message_id=str(message.message_id),
        text=message.text or message.caption or "",
        command=command,
        args=args,
        attachment=attachment,
        addressed=addressed,
    )


def from_callback(query: CallbackQuery) -> IncomingMessage | None:
    """A button press on one of the bot's messages."""
    message = query.message
    if message is None or query.data is None:
        return None
    return IncomingMessage(
        chat=chat_ref(message.chat),
        user=user_ref(query.from_user),
        message_id=str(message.message_id),
        callback=query.data,
        addressed=True,
    )


def from_my_chat_member(change: ChatMemberUpdated, update_id: int) -> IncomingMessage | None:
    """The bot's own membership in a group changed: `ChatEvent.BOT_REMOVED`/`BOT_ADDED`.

    Removed: the new status is "left" or "kicked" (removed, banned, or the bot left).
    Added: "member" or "administrator" after "left"/"kicked" (a promotion is no event).
    """
    if change.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return None
    old, new = change.old_chat_member.status, change.new_chat_member.status
    if new in GONE and old not in GONE:
        event = ChatEvent.BOT_REMOVED
    elif new in PRESENT and old in GONE:
        event = ChatEvent.BOT_ADDED
    else:
        return None
    return IncomingMessage(
        chat=chat_ref(change.chat),
        user=user_ref(change.from_user),
        message_id=f"my_chat_member:{update_id}",
        event=event,
        addressed=True,
    )


def from_update(update: Update, username: str, bot_id: int) -> IncomingMessage | None:
    if update.message is not None:
        return from_message(update.message, username, bot_id)
    if update.callback_query is not None:
        return from_callback(update.callback_query)
    if update.my_chat_member is not None:
        return from_my_chat_member(update.my_chat_member, update.update_id)
    return None


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )
