"""Connecting a real dev-network account through OAuth, as a user does it."""

from __future__ import annotations

import re
import secrets

from tests.accounts.conftest import Bot
from tests.conversation.harness import texts
from tests.oauth.browser import Browser, approve
from tests.servers.atproto import PASSWORD
from tests.servers.oauth_net import OAuthNetwork

LINK = re.compile(r"https?://\S+/oauth/authorize\?\S+")


async def test_connect_through_oauth(oauth_bot: Bot, oauth_network: OAuthNetwork) -> None:
    net = oauth_network.net
    account = net.create_account("o" + secrets.token_hex(4))
    chat = oauth_bot.chat()
    said = texts(await chat.say(f"/connect bluesky {account.handle}"))
    link = LINK.search(said)
    assert link, said
    callback = await approve(str(oauth_network.ca_file), link.group(0), account.handle, PASSWORD)
    page = await Browser(str(oauth_network.ca_file)).open_callback(callback)
    assert page.status_code == 200, page.text
    said = texts(chat.new_replies())
    assert f"Connected to Bluesky as {account.handle}" in said
