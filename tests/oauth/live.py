"""Helpers of the live OAuth tests: connect an account as a user does, read what is stored."""

from __future__ import annotations

import re

from chatbot.oauth.tokens import TokenSet
from tests.accounts.conftest import Bot
from tests.conversation.harness import Chat, texts
from tests.oauth.browser import Browser, approve
from tests.servers.atproto import PASSWORD, Account
from tests.servers.oauth_net import OAuthNetwork

LINK = re.compile(r"https?://\S+/oauth/authorize\?\S+")


async def get_link(chat: Chat, handle: str) -> tuple[str, str]:
    """`/connect bluesky HANDLE`: (the approval link, everything the bot said)."""
    said = texts(await chat.say(f"/connect bluesky {handle}"))
    link = LINK.search(said)
    assert link, said
    return link.group(0), said


async def click(network: OAuthNetwork, url: str, account: Account, **kw: bool) -> str:
    """Approve the link as `account` in a browser; the callback URL it is sent to."""
    return await approve(str(network.ca_file), url, account.handle, PASSWORD, **kw)


async def open_page(network: OAuthNetwork, callback: str) -> tuple[int, str]:
    page = await Browser(str(network.ca_file)).open_callback(callback)
    return page.status_code, page.text


async def connect(bot: Bot, chat: Chat, network: OAuthNetwork, account: Account) -> str:
    """The whole flow; what the chat said after the approval."""
    url, _ = await get_link(chat, account.handle)
    status, page = await open_page(network, await click(network, url, account))
    assert status == 200, page
    return texts(chat.new_replies())


async def stored_tokens(bot: Bot, user_id: int) -> TokenSet:
    account = await bot.services.accounts.get(user_id, "bluesky")
    assert account is not None
    return TokenSet.decode(account.secret)
