"""The code that ends a Bluesky login, against the dev network's own authorization server.

The attack it closes: Mallory runs `/connect bluesky victim.handle` in her own chat and
sends the link to the victim ("verify your account"); the victim signs in and approves.
Before, the callback connected the victim's account to Mallory's chat. Now the approval
only shows the victim a code, with a warning never to give it away; nothing connects
until that code comes back from the chat that asked, and guessing or waiting ends the
approval with its tokens revoked on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update

from chatbot.config import Settings
from chatbot.oauth.codes import ALPHABET, MAX_TRIES
from chatbot.oauth.confirm import purge_forever
from chatbot.services import Services
from chatbot.storage.db import Database
from chatbot.storage.schema import oauth_confirmations
from chatbot.web import start_web
from tests.accounts.conftest import Bot
from tests.conversation.harness import texts
from tests.oauth.live import (
    approved_code,
    assert_live,
    assert_revoked,
    waiting_tokens,
)
from tests.servers.oauth_net import OAuthNetwork

NO_LOGIN = "No Bluesky login is waiting for a code in this chat"


def _wrong(code: str) -> str:
    return ALPHABET[(ALPHABET.index(code[0]) + 1) % len(ALPHABET)] + code[1:]


async def _expire(services: Services) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    async with services.db.begin() as conn:
        await conn.execute(update(oauth_confirmations).values(expires_at=past))


async def test_a_phishing_link_connects_nothing_without_the_code(
    oauth_bot: Bot, oauth_network: OAuthNetwork
) -> None:
    services = oauth_bot.services
    victim = oauth_network.net.create_account("v" + secrets.token_hex(4))
    mallory = oauth_bot.chat("mallory")
    # the victim's browser is in French; Mallory's chat in English: the page follows
    # the person reading it, and never says who asked
    code, page = await approved_code(oauth_network, mallory, victim, language="fr-FR,fr;q=0.9")
    assert "Dernière étape" in page and victim.handle in page
    assert "N’envoyez ce code que dans votre propre conversation avec le bot" in page
    assert "Si quelqu’un vous a envoyé ce lien ou vous demande ce code" in page
    assert "mallory" not in page.lower() and "telegram" not in page.lower()
    assert mallory.new_replies() == []  # Mallory's chat learns nothing, gets nothing
    attacker = await services.users.get_or_create("telegram", "mallory")
    assert await services.accounts.get(attacker.id, "bluesky") is None
    [pending] = await waiting_tokens(services)
    await assert_live(services, pending, victim.handle)  # the control: these tokens work

    # the victim sends the code in their own chat: it is not theirs to complete either
    said = texts(await oauth_bot.chat("victim").say(code))
    assert NO_LOGIN in said and "do not give them the code" in said
    other = await services.users.get_or_create("telegram", "victim")
    assert await services.accounts.get(other.id, "bluesky") is None

    # Mallory guesses: a few wrong codes, then the approval ends, revoked on the server
    for left in range(MAX_TRIES - 1, 0, -1):
        said = texts(await mallory.say(_wrong(code)))
        assert "That is not the code the page shows" in said and f"{left} tr" in said, said
    said = texts(await mallory.say(_wrong(code)))
    assert "Too many wrong codes" in said and "access it gave was ended" in said
    await assert_revoked(services, pending, victim.handle)
    assert await waiting_tokens(services) == []

    # and the right code, given away too late, connects nothing
    assert NO_LOGIN in texts(await mallory.say(code))
    assert await services.accounts.get(attacker.id, "bluesky") is None


async def test_wrong_code_and_another_chat_then_the_right_one(
    oauth_bot: Bot, oauth_network: OAuthNetwork
) -> None:
    services = oauth_bot.services
    account = oauth_network.net.create_account("c" + secrets.token_hex(4))
    chat = oauth_bot.chat()
    code, _ = await approved_code(oauth_network, chat, account)
    user = await services.users.get_or_create("telegram", "alice")
    said = texts(await chat.say(_wrong(code)))
    assert f"{MAX_TRIES - 1} tries left" in said
    # the same user in another private chat (a second Matrix room, say): refused
    elsewhere = oauth_bot.chat(chat="dm-alice-2")
    said = texts(await elsewhere.say(code))
    assert "Send this code in the chat where you asked for the link" in said
    assert await services.accounts.get(user.id, "bluesky") is None
    said = texts(await chat.say(code))
    assert f"Connected to Bluesky as {account.handle}" in said
    connected = await services.accounts.get(user.id, "bluesky")
    assert connected is not None and connected.did == account.did


async def test_unconfirmed_approvals_are_revoked_once_expired(
    oauth_bot: Bot, oauth_network: OAuthNetwork
) -> None:
    """Expired: revoked by the purge the web endpoint runs, or at the next use; and
    /disconnect ends an approval still waiting."""
    services = oauth_bot.services
    account = oauth_network.net.create_account("e" + secrets.token_hex(4))
    chat = oauth_bot.chat()
    user = await services.users.get_or_create("telegram", "alice")

    # nobody sends the code: the purge loop revokes and deletes the approval
    code, _ = await approved_code(oauth_network, chat, account)
    [first] = await waiting_tokens(services)
    await _expire(services)
    purge = asyncio.create_task(purge_forever(services, every_s=0.1))
    try:
        for _ in range(100):
            if not await waiting_tokens(services):
                break
            await asyncio.sleep(0.1)
    finally:
        purge.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purge
    assert await waiting_tokens(services) == []
    await assert_revoked(services, first, account.handle)
    assert NO_LOGIN in texts(await chat.say(code))

    # the code comes after its time: refused, revoked there and then
    code, _ = await approved_code(oauth_network, chat, account)
    [second] = await waiting_tokens(services)
    await _expire(services)
    said = texts(await chat.say(code))
    assert "That code has expired" in said and "access it gave was ended" in said
    await assert_revoked(services, second, account.handle)

    # /disconnect bluesky while an approval waits: it ends too
    code, _ = await approved_code(oauth_network, chat, account)
    [third] = await waiting_tokens(services)
    await chat.say("/disconnect bluesky")
    assert await waiting_tokens(services) == []
    await assert_revoked(services, third, account.handle)
    assert NO_LOGIN in texts(await chat.say(code))
    assert await services.accounts.get(user.id, "bluesky") is None


@pytest.fixture
async def two_processes(
    oauth_settings: Settings, database: Database
) -> AsyncIterator[tuple[Bot, Bot]]:
    """A front end with the web endpoint and a second process, sharing PostgreSQL only."""
    url = database.engine.url.render_as_string(hide_password=False)
    settings = oauth_settings.model_copy(update={"database_url": url})
    front = Bot(await Services.start(settings, processes=False))
    other = Bot(await Services.start(settings, processes=False))
    web = await start_web(settings, front.services, {front.platform.name: front.platform})
    try:
        yield front, other
    finally:
        if web is not None:
            await web.stop()
        await other.services.close()
        await front.services.close()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_the_code_may_reach_another_process(
    two_processes: tuple[Bot, Bot], oauth_network: OAuthNetwork
) -> None:
    """Scale-out: the link and the callback on one process, the code on another."""
    front, other = two_processes
    account = oauth_network.net.create_account("s" + secrets.token_hex(4))
    code, _ = await approved_code(oauth_network, front.chat(), account)
    said = texts(await other.chat().say(code))
    assert f"Connected to Bluesky as {account.handle}" in said, said
    user = await other.services.users.get_or_create("telegram", "alice")
    connected = await front.services.accounts.get(user.id, "bluesky")
    assert connected is not None and connected.did == account.did
