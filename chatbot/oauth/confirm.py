"""The last step of a Bluesky login: the code from the callback page, sent in the chat.

`hold` (at the callback) keeps the approved tokens aside and gives the code the page
shows; `confirm` (a chat message) connects the account when the same user sends that
code in the chat that asked for the link, and ends the approval (its tokens revoked at
the authorization server) after `codes.MAX_TRIES` wrong codes or once expired;
`discard` ends it on /disconnect and /forget. Approvals nobody confirms are revoked and
deleted by `purge_forever` (every minute, in each process that serves the web endpoint)
or at the next use, whichever comes first. Everything lives in the shared database:
the callback may reach one process and the code another.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from chatbot.accounts import bluesky as accounts
from chatbot.oauth.codes import Attempt, ConfirmationStore, Held, new_code, normalise
from chatbot.oauth.tokens import TokenSet, revoke

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)

PURGE_EVERY_S = 60.0
PURGE_BATCH = 50  # revoked concurrently, per round of a pass
PURGE_ROUNDS = 20  # a pass ends at most 1,000 approvals; the next pass takes the rest


def _store(services: Services) -> ConfirmationStore:
    return ConfirmationStore(services.db, services.secrets)


async def hold(
    services: Services, user_id: int, chat_id: str, tokens: TokenSet, handle: str
) -> str:
    """Keep approved tokens until the code comes back from `chat_id`; the code."""
    code = new_code()
    ttl = services.settings.oauth_link_ttl_s
    replaced = await _store(services).put(user_id, chat_id, code, tokens.encode(), handle, ttl)
    if replaced is not None:  # an older approval of the same user, never confirmed
        await _revoke(services, replaced)
    return code


async def confirm(services: Services, user_id: int, chat_id: str, text: str) -> Attempt:
    """Try the code in `text`; on "ok" the account is connected (the previous one ended).

    "none" when no approval waits for this user, or `text` is not shaped like a code.
    """
    code = normalise(text)
    if code is None:
        return Attempt("none")
    attempt = await _store(services).attempt(user_id, chat_id, code)
    held = attempt.held
    if attempt.outcome == "ok" and held is not None:
        tokens = TokenSet.decode(held.tokens)
        await accounts.revoke(services, user_id)  # a previous connection ends on its server
        await services.accounts.save(
            user_id, "bluesky", handle=held.handle, did=tokens.did, service_url=tokens.pds_url,
            secret=held.tokens,
        )  # fmt: skip
        log.info("user %s connected a Bluesky account through OAuth", user_id)
    elif held is not None:
        log.info("a Bluesky approval of user %s ended unconfirmed (%s)", user_id, attempt.outcome)
        await _revoke(services, held)
    return attempt


async def discard(services: Services, user_id: int) -> bool:
    """End the user's approval waiting for its code, if any (revoked on its server)."""
    held = await _store(services).take_user(user_id)
    if held is not None:
        await _revoke(services, held)
    return held is not None


async def purge(services: Services) -> int:
    """Revoke and delete the approvals whose code expired; how many."""
    store = _store(services)
    ended = 0
    for _round in range(PURGE_ROUNDS):
        expired = await store.take_expired(PURGE_BATCH)
        await asyncio.gather(*(_revoke(services, h) for h in expired), return_exceptions=True)
        ended += len(expired)
        if len(expired) < PURGE_BATCH:
            break
    return ended


async def purge_forever(services: Services, every_s: float = PURGE_EVERY_S) -> None:
    """`purge` now, then every `every_s`, until cancelled (with the web endpoint)."""
    while True:
        try:
            if ended := await purge(services):
                log.info("ended %d unconfirmed Bluesky approvals", ended)
        except Exception:
            log.exception("the purge of unconfirmed Bluesky approvals failed; it will retry")
        await asyncio.sleep(every_s)


async def _revoke(services: Services, held: Held) -> None:
    try:
        tokens = TokenSet.decode(held.tokens)
    except (ValueError, TypeError):
        return
    await revoke(services, tokens)
