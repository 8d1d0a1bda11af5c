"""Helpers of the live OAuth tests: connect an account as a user does, read what is stored."""

from __future__ import annotations

import re

import pytest
from atproto_client.exceptions import UnauthorizedError

from chatbot.oauth.authserver import ClientAuth, post
from chatbot.oauth.client import oauth_client
from chatbot.oauth.codes import ConfirmationStore
from chatbot.oauth.http import oauth_http
from chatbot.oauth.keys import ClientKeyStore
from chatbot.oauth.tokens import TokenSet
from chatbot.services import Services
from tests.accounts.conftest import Bot
from tests.conversation.harness import Chat, texts
from tests.oauth.browser import Browser, approve
from tests.servers.atproto import PASSWORD, Account
from tests.servers.oauth_net import OAuthNetwork

LINK = re.compile(r"https?://\S+/oauth/authorize\?\S+")
CODE = re.compile(r'<p class="code">([A-Z0-9]{4}-[A-Z0-9]{4})</p>')


async def get_link(chat: Chat, handle: str) -> tuple[str, str]:
    """`/connect bluesky HANDLE`: (the approval link, everything the bot said)."""
    said = texts(await chat.say(f"/connect bluesky {handle}"))
    link = LINK.search(said)
    assert link, said
    return link.group(0), said


async def click(network: OAuthNetwork, url: str, account: Account, **kw: bool) -> str:
    """Approve the link as `account` in a browser; the callback URL it is sent to."""
    return await approve(str(network.ca_file), url, account.handle, PASSWORD, **kw)


async def open_page(
    network: OAuthNetwork, callback: str, language: str | None = None
) -> tuple[int, str]:
    page = await Browser(str(network.ca_file)).open_callback(callback, language)
    return page.status_code, page.text


def code_on(page: str) -> str:
    """The one-time code a callback page shows."""
    found = CODE.search(page)
    assert found, page
    return found.group(1)


async def approved_code(
    network: OAuthNetwork, chat: Chat, account: Account, language: str | None = None
) -> tuple[str, str]:
    """`/connect bluesky`, approval as `account`: (the code the page shows, the page)."""
    url, _ = await get_link(chat, account.handle)
    status, page = await open_page(network, await click(network, url, account), language)
    assert status == 200, page
    return code_on(page), page


async def connect(bot: Bot, chat: Chat, network: OAuthNetwork, account: Account) -> str:
    """The whole flow, the code sent back in the chat; what the chat said after approval."""
    code, _ = await approved_code(network, chat, account)
    assert chat.new_replies() == []  # the approval alone connects nothing, says nothing
    return texts(await chat.say(code))


async def stored_tokens(bot: Bot, user_id: int) -> TokenSet:
    account = await bot.services.accounts.get(user_id, "bluesky")
    assert account is not None
    return TokenSet.decode(account.secret)


async def waiting_tokens(services: Services) -> list[TokenSet]:
    """The tokens of the approvals waiting for their code (one test's own database)."""
    store = ConfirmationStore(services.db, services.secrets)
    return [TokenSet.decode(tokens) for tokens in await store.waiting_tokens()]


async def assert_revoked(services: Services, tokens: TokenSet, handle: str) -> None:
    """Neither token works any more on the account's servers."""
    client = oauth_client(services, 0, tokens, handle)
    try:
        with pytest.raises(UnauthorizedError):
            await client.com.atproto.server.get_session()
    finally:
        await client.request.close()
    key = await ClientKeyStore(services.db, services.secrets).get(tokens.client_kid)
    assert key is not None
    async with oauth_http(services.settings) as http:
        status, data = await post(
            http, tokens.token_endpoint,
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
            issuer=tokens.issuer, client=ClientAuth(tokens.client_id, key.kid, key.key),
            dpop_key=tokens.dpop_key,
        )  # fmt: skip
    assert status == 400 and data.get("error") == "invalid_grant", (status, data)


async def assert_live(services: Services, tokens: TokenSet, handle: str) -> None:
    """The access token works on the account's PDS (the control of `assert_revoked`)."""
    client = oauth_client(services, 0, tokens, handle)
    try:
        session = await client.com.atproto.server.get_session()
    finally:
        await client.request.close()
    assert session.did == tokens.did
