"""Mastodon on mastodon-mock: follow hygiene (relationships in batches, never yourself),
then /undo: unfollow only what the bot followed, and the profile put back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from mastodon import Mastodon

from chatbot.accounts.mastodon import OOB, SCOPES
from chatbot.config import Settings
from chatbot.migration.follow import FollowOptions
from chatbot.migration.jobs import JobRunner
from chatbot.migration.undo_writer import MastodonAccountWriter
from chatbot.services import Services
from handlers.follow import runner
from tests.accounts.conftest import Bot
from tests.accounts.test_mastodon import _link
from tests.conversation.harness import start_follow, texts
from tests.export.matches import masto
from tests.profile.archive import profile_archive
from tests.servers.mastodon import MastodonServer
from tests.undo.live import button

TARGETS = ["alice", "carol@mastodon.example", "hermit", "dave@fosstodon.example"]


def dev_user(server: MastodonServer) -> tuple[str, Mastodon]:
    """A fresh account of the mock (its name, a client as that user)."""
    made = server.dev_user()
    client = Mastodon(access_token=made["access_token"], api_base_url=server.url,
                      version_check_mode="none", ratelimit_method="throw")  # fmt: skip
    return str(made["username"]), client


def authorize(server: MastodonServer, link: str, username: str) -> str:
    """What the user does in the browser: log in as `username`, allow, read the code."""
    query = parse_qs(urlsplit(link).query)
    response = httpx.post(server.url + "/oauth/authorize", timeout=30, data={
        "username": username, "client_id": query["client_id"][0], "redirect_uri": OOB,
        "scope": " ".join(SCOPES), "code_challenge": query["code_challenge"][0],
        "code_challenge_method": "S256",
    })  # fmt: skip
    response.raise_for_status()
    return response.text.split("Authorization code: ")[1].split("<")[0]


def following(client: Mastodon) -> dict[str, dict[str, Any]]:
    """acct -> relationship of every account followed or requested."""
    me = client.me()
    accounts = {a["acct"]: a["id"] for a in client.account_following(me["id"], limit=80)}
    ids = [client.account_lookup(acct)["id"] for acct in TARGETS]
    rels = {r["id"]: r for r in client.account_relationships(ids)}
    shown = {acct: rels[i] for acct, i in zip(TARGETS, ids, strict=True) if rels[i]["requested"]}
    return {**{acct: {"following": True} for acct in accounts}, **shown}


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await Services.start(settings, processes=False)
    yield services
    await services.close()


async def test_relationships_in_one_batch_and_never_yourself(
    mastodon_server: MastodonServer, services: Services
) -> None:
    name, client = dev_user(mastodon_server)
    dave = client.account_lookup("dave@fosstodon.example")
    client.account_follow(dave["id"])  # followed before the bot
    writer = MastodonAccountWriter(client)

    async def factory(*_: Any) -> MastodonAccountWriter:
        return writer

    jobs = JobRunner(services, {}, writer_factory=factory, options=FollowOptions())
    user = await services.users.get_or_create("telegram", "hyg")
    own = f"{name}@{mastodon_server.domain}"
    job = await jobs.submit(user.id, "mastodon", [*TARGETS, own, "nobody@nowhere.example"],
                            {"self": [own]})  # fmt: skip
    await jobs.idle()
    log = {target: (e.status, e.uri) for target, e in (await jobs.store.log_for(job.id)).items()}
    assert log == {
        "alice": ("followed", None), "carol@mastodon.example": ("followed", None),
        "hermit": ("requested", None), "dave@fosstodon.example": ("already", None),
        own: ("skipped", "self"), "nobody@nowhere.example": ("skipped", "not_found"),
    }  # fmt: skip
    # verify_credentials, 5 lookups (not the user's own address), one search that asks the
    # server to resolve the remote address it did not know, ONE relationships call for the
    # 4 accounts found, 3 follows
    assert writer.requests == 1 + 5 + 1 + 1 + 3
    reasons = await jobs.store.skip_reasons(job.id)
    assert reasons == {"already": 1, "self": 1, "not_found": 1}


@pytest.mark.parametrize("bot", ["mastodon_settings"], indirect=True)
async def test_undo_unfollows_only_what_the_bot_followed_and_restores_the_profile(
    bot: Bot, mastodon_server: MastodonServer, tmp_path: Any
) -> None:
    name, client = dev_user(mastodon_server)
    client.account_update_credentials(display_name="Mira Before", note="My own words")
    client.account_follow(client.account_lookup("dave@fosstodon.example")["id"])
    chat = bot.chat("mira")
    answer = texts(await chat.say(f"/connect mastodon {mastodon_server.url}"))
    code = await asyncio.to_thread(authorize, mastodon_server, _link(answer), name)
    assert "Connected to Mastodon" in texts(await chat.say(code))
    await chat.upload(profile_archive(tmp_path / "x.zip"))
    user = await bot.services.users.get_or_create("telegram", "mira")
    own = f"{name}@{mastodon_server.domain}"
    found = [masto(n, acct=acct) for n, acct in enumerate([*TARGETS, own])]
    bot.services.match_cache[user.id] = (time.monotonic(), found)
    jobs = runner(bot.services)
    await start_follow(chat, "/follow mastodon")
    await jobs.idle()
    status = texts(await chat.say("/status"))
    assert "Skipped: 1 already followed, 1 is your own account." in status
    assert set(following(client)) == set(TARGETS)
    await chat.say("/profile mastodon")
    await chat.press("profile:ok:mastodon")
    assert client.me()["display_name"] != "Mira Before"

    replies = await chat.say("/undo mastodon")
    preview = texts(replies)
    assert "3 follows I made" in preview  # alice, carol, and the request to hermit
    assert "your profile, put back as it was" in preview
    assert "follows you made yourself by importing my file are yours" in preview
    await chat.press(button(replies, "undo:ok:"))
    await jobs.idle()
    assert "Undo on Mastodon: finished." in texts(await chat.say("/status"))
    assert set(following(client)) == {"dave@fosstodon.example"}  # the user's own follow
    me = client.me()
    assert me["display_name"] == "Mira Before"
    assert "My own words" in me["note"]
    assert "nothing for me to take back" in texts(await chat.say("/undo mastodon"))
