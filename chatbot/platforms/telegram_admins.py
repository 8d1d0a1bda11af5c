"""Who administers a Telegram group, and who is in it: `getChatMember`.

A member is an administrator when their status is "creator" or "administrator". Answers
are cached per (chat, user) for `TTL_S` seconds, so a burst of admin commands costs one
request; failures are not cached (the next command asks again) and count as "no".
Membership (`is_member`: creator, administrator, member, or restricted but still in the
group) is asked afresh every time: it decides whether a join link grants anything.
"""

from __future__ import annotations

import logging
import time

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from chatbot.platforms.base import ChatRef, UserRef

log = logging.getLogger(__name__)

TTL_S = 60.0
MAX_ENTRIES = 10_000
ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})
MEMBER_STATUSES = ADMIN_STATUSES | {ChatMemberStatus.MEMBER}


def group_ids(chat: ChatRef, user: UserRef) -> tuple[int, int] | None:
    """(chat id, user id) for getChatMember; None in private or for malformed ids."""
    if chat.is_private:
        return None
    try:
        return int(chat.chat_id), int(user.user_id)
    except ValueError:
        return None


async def is_member(bot: Bot, chat: ChatRef, user: UserRef) -> bool:
    """Whether `user` is in the group `chat` now (False in private, or when unknown)."""
    ids = group_ids(chat, user)
    if ids is None:
        return False
    try:
        member = await bot.get_chat_member(*ids)
    except TelegramError as exc:  # no ids in the log: they are personal data
        log.warning("telegram: could not check a membership (%s)", type(exc).__name__)
        return False
    if member.status in MEMBER_STATUSES:
        return True
    return member.status == ChatMemberStatus.RESTRICTED and bool(getattr(member, "is_member", 0))


class AdminCache:
    """`is_admin(chat, user)` through the Bot API, cached for `ttl_s` seconds."""

    def __init__(self, ttl_s: float = TTL_S) -> None:
        self.ttl_s = ttl_s
        self._known: dict[tuple[int, int], tuple[float, bool]] = {}

    async def is_admin(self, bot: Bot, chat: ChatRef, user: UserRef) -> bool:
        key = group_ids(chat, user)
        if key is None:
            return False
        chat_id, user_id = key
        now = time.monotonic()
        cached = self._known.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:  # no ids in the log: they are personal data
            log.warning("telegram: could not check admin rights (%s)", type(exc).__name__)
            return False
        answer = member.status in ADMIN_STATUSES
        if len(self._known) >= MAX_ENTRIES:
            self._known = {k: v for k, v in self._known.items() if v[0] > now}
            if len(self._known) >= MAX_ENTRIES:
                self._known.clear()
        self._known[key] = (now + self.ttl_s, answer)
        return answer

    def forget_chat(self, chat: ChatRef) -> None:
        """Drop what is known about a chat (the bot left it or came back)."""
        self._known = {k: v for k, v in self._known.items() if str(k[0]) != chat.chat_id}
