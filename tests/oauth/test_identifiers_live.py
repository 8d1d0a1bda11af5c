"""The Bluesky login (OAuth) with the account named by a profile link, a DID or an e-mail
address: the same approval, the same checks, on the dev network (issue 15 item 4)."""

from __future__ import annotations

import secrets

import pytest

from chatbot.config import Settings
from tests.accounts.conftest import Bot
from tests.conversation.harness import texts
from tests.oauth.live import click, code_on, get_link, open_page
from tests.servers.atproto import Account
from tests.servers.oauth_net import OAuthNetwork


@pytest.fixture
def named_settings(oauth_settings: Settings, oauth_network: OAuthNetwork) -> Settings:
    """The entryway (for e-mail addresses) is the dev network's PDS, under its own name;
    bare names end in ``.test``."""
    return oauth_settings.model_copy(
        update={
            "bluesky_entryway_url": str(oauth_network.net.info["pds"]),
            "bluesky_default_handle_suffix": "test",
        }
    )


NAMED = pytest.mark.parametrize("oauth_bot", ["named_settings"], indirect=True)


async def _connect(
    bot: Bot, network: OAuthNetwork, user: str, typed: str, account: Account, sign_in: str
) -> str:
    """`/connect bluesky TYPED`, approval signed in as `sign_in`, the code sent back."""
    chat = bot.chat(user)
    url, said = await get_link(chat, typed)
    status, page = await open_page(
        network, await click(network, url, Account(account.did, sign_in, ""))
    )
    assert status == 200, page
    return said + "\n" + texts(await chat.say(code_on(page)))


@NAMED
async def test_a_profile_link_a_did_and_a_bare_name(
    oauth_bot: Bot, oauth_network: OAuthNetwork
) -> None:
    account = oauth_network.net.create_account("n" + secrets.token_hex(4))
    forms = {
        "link": f"https://bsky.app/profile/{account.handle}",
        "did": account.did,
        "did-link": f"https://bsky.app/profile/{account.did}",
        "name": account.handle.removesuffix(".test"),
    }
    for user, typed in forms.items():
        said = await _connect(
            oauth_bot, oauth_network, user, typed, account, sign_in=account.handle
        )
        assert f"Connected to Bluesky as {account.handle}, through the Bluesky login" in said
        record = await oauth_bot.services.users.get_or_create("telegram", user)
        stored = await oauth_bot.services.accounts.get(record.id, "bluesky")
        assert stored is not None and stored.did == account.did, typed
    assert "I read “" in said and f"as {account.handle}" in said  # the bare name, said so


@NAMED
async def test_an_email_address_connects_whoever_signs_in_there(
    oauth_bot: Bot, oauth_network: OAuthNetwork
) -> None:
    account = oauth_network.net.create_account("e" + secrets.token_hex(4))
    email = f"{account.handle}@example.com"
    said = await _connect(oauth_bot, oauth_network, "eve", email, account, sign_in=email)
    assert "To connect the account of this e-mail address" in said
    assert f"Connected to Bluesky as {account.handle}, through the Bluesky login" in said
    assert email not in said
    record = await oauth_bot.services.users.get_or_create("telegram", "eve")
    stored = await oauth_bot.services.accounts.get(record.id, "bluesky")
    assert stored is not None and stored.did == account.did
