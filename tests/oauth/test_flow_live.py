"""The OAuth approval as users meet it: the link, the page, the chat; and its refusals."""

from __future__ import annotations

import secrets

from tests.accounts.conftest import Bot
from tests.conversation.harness import texts
from tests.oauth.live import click, connect, get_link, open_page
from tests.servers.oauth_net import OAuthNetwork


async def test_connect_through_oauth(oauth_bot: Bot, oauth_network: OAuthNetwork) -> None:
    account = oauth_network.net.create_account("o" + secrets.token_hex(4))
    chat = oauth_bot.chat()
    url, said = await get_link(chat, account.handle)
    assert "Method: Bluesky login (OAuth)" in said
    assert "follow accounts, create lists and starter packs" in said  # what it may do
    assert "The link works once, for 10 minutes." in said
    status, page = await open_page(oauth_network, await click(oauth_network, url, account))
    assert status == 200 and "Bluesky account connected" in page, page
    assert account.handle in page
    said = texts(chat.new_replies())
    assert f"Connected to Bluesky as {account.handle}, through the Bluesky login" in said
    assert "Bluesky" in texts(await chat.say("/connect"))
