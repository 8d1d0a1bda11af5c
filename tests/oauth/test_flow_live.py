"""The OAuth approval as users meet it: the link, the page, the chat; and its refusals."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import update

from chatbot.storage.schema import oauth_states
from tests.accounts.conftest import Bot
from tests.conversation.harness import texts
from tests.oauth.live import click, code_on, get_link, open_page, waiting_tokens
from tests.servers.oauth_net import OAuthNetwork


async def test_connect_through_oauth(oauth_bot: Bot, oauth_network: OAuthNetwork) -> None:
    """The link, the approval, the code the page shows sent back in the chat: connected."""
    account = oauth_network.net.create_account("o" + secrets.token_hex(4))
    chat = oauth_bot.chat()
    url, said = await get_link(chat, account.handle)
    assert "Method: Bluesky login (OAuth)" in said
    assert "follow accounts, create lists and starter packs" in said  # what it may do
    assert "The link works once, for 5 minutes." in said  # the server's request lives 5 min
    assert "the page shows a code: send it here to finish" in said
    status, page = await open_page(oauth_network, await click(oauth_network, url, account))
    assert status == 200 and "One last step: send this code in your chat" in page, page
    assert account.handle in page  # the account that approved: theirs
    assert "Only send this code in your own chat with the bot" in page
    assert "The code works once, for 10 minutes." in page
    code = code_on(page)
    assert chat.new_replies() == []  # approved, not connected: nothing said yet
    user = await oauth_bot.services.users.get_or_create("telegram", "alice")
    assert await oauth_bot.services.accounts.get(user.id, "bluesky") is None
    said = texts(await chat.say(code.lower().replace("-", " ")))  # typed loosely: fine
    assert f"Connected to Bluesky as {account.handle}, through the Bluesky login" in said
    connected = await oauth_bot.services.accounts.get(user.id, "bluesky")
    assert connected is not None and connected.did == account.did
    assert "Bluesky" in texts(await chat.say("/connect"))
    # the code works once: sent again, refused, and the connection stays as it was
    said = texts(await chat.say(code))
    assert "No Bluesky login is waiting for a code in this chat" in said
    assert await oauth_bot.services.accounts.get(user.id, "bluesky") == connected
    assert await waiting_tokens(oauth_bot.services) == []


async def test_a_link_approved_by_another_account_connects_nothing(
    oauth_bot: Bot, oauth_network: OAuthNetwork
) -> None:
    alice = oauth_network.net.create_account("a" + secrets.token_hex(4))
    mallory = oauth_network.net.create_account("z" + secrets.token_hex(4))
    chat = oauth_bot.chat()
    url, _ = await get_link(chat, alice.handle)
    status, page = await open_page(oauth_network, await click(oauth_network, url, mallory))
    assert status == 400 and "Another account" in page
    assert mallory.handle not in page and alice.handle not in page
    said = texts(chat.new_replies())
    assert "approved with another Bluesky account" in said and "nothing was connected" in said
    user = await oauth_bot.services.users.get_or_create("telegram", "alice")
    assert await oauth_bot.services.accounts.get(user.id, "bluesky") is None


async def test_replayed_expired_forged_and_refused_links(
    oauth_bot: Bot, oauth_network: OAuthNetwork
) -> None:
    net = oauth_network.net
    services = oauth_bot.services
    account = net.create_account("r" + secrets.token_hex(4))
    chat = oauth_bot.chat()
    user = await services.users.get_or_create("telegram", "alice")

    # refused on the server: nothing connected, the chat is told
    url, _ = await get_link(chat, account.handle)
    status, page = await open_page(
        oauth_network, await click(oauth_network, url, account, consent=False)
    )
    assert status == 400 and "Connection cancelled" in page
    assert "The Bluesky login was cancelled" in texts(chat.new_replies())
    assert await services.accounts.get(user.id, "bluesky") is None

    # expired before the callback came back
    url, _ = await get_link(chat, account.handle)
    callback = await click(oauth_network, url, account)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    async with services.db.begin() as conn:
        await conn.execute(update(oauth_states).values(expires_at=past))
    status, page = await open_page(oauth_network, callback)
    assert status == 400 and "Link expired" in page
    assert "had expired: nothing was connected" in texts(chat.new_replies())
    assert await services.accounts.get(user.id, "bluesky") is None

    # a good one, then the same callback again (replayed): refused, the first one stays
    url, _ = await get_link(chat, account.handle)
    callback = await click(oauth_network, url, account)
    status, page = await open_page(oauth_network, callback)
    assert status == 200
    assert "Connected to Bluesky" in texts(await chat.say(code_on(page)))
    connected = await services.accounts.get(user.id, "bluesky")
    assert connected is not None
    status, page = await open_page(oauth_network, callback)
    assert status == 400 and "Link not valid" in page and 'class="code"' not in page
    assert await services.accounts.get(user.id, "bluesky") == connected

    # a forged state: refused, no one told
    forged = callback.split("?")[0] + "?state=" + secrets.token_urlsafe(32) + "&code=x"
    sent = len(oauth_bot.platform.sent)
    status, page = await open_page(oauth_network, forged)
    assert status == 400 and "Link not valid" in page
    assert len(oauth_bot.platform.sent) == sent
