"""Bluesky lists and starter packs of the user's matches, written on the connected account.

A list is an ``app.bsky.graph.list`` record (``curatelist``, or ``referencelist`` behind a
starter pack) and one ``app.bsky.graph.listitem`` per account, written with
``com.atproto.repo.applyWrites`` in batches of at most 200. A starter pack is an
``app.bsky.graph.starterpack`` record pointing to its list, with at most 150 accounts.
Callers see `AccountExpired`, `ServiceUnavailable`, `ListWriteError` (`RateLimited`), never an
SDK error. Nothing here draws on the follow jobs' points budget: a 429 is reported as is.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from chatbot.accounts import AccountExpired, ServiceUnavailable
from chatbot.accounts.bluesky import bluesky_client
from chatbot.migration.export import STARTER_PACK_MAX, clip
from chatbot.undo.store import UndoStore

if TYPE_CHECKING:
    from atproto import AsyncClient

    from chatbot.services import Services

log = logging.getLogger(__name__)

LIST = "app.bsky.graph.list"
LISTITEM = "app.bsky.graph.listitem"
STARTERPACK = "app.bsky.graph.starterpack"
BATCH = 200  # writes per applyWrites call
LIST_NAME_MAX = 64  # characters
PACK_NAME_MAX = 50  # graphemes (clipped to 50 code points, which is never more)
DESCRIPTION_MAX = 300  # graphemes
Kind = Literal["list", "starterpack"]
T = TypeVar("T")
Logger = Callable[[str, str, str | None, str | None], Awaitable[None]]  # kind, uri, cid, list


class ListWriteError(Exception):
    """The PDS refused a write (not an expired session, not an outage)."""


class RateLimited(ListWriteError):
    """HTTP 429: the account's write budget is spent for now (follows share it)."""


class NotConnected(Exception):
    """No Bluesky account is connected."""


@dataclass(frozen=True)
class Created:
    kind: Kind
    handle: str
    list_uri: str
    members: int  # accounts put in the list
    left_out: int  # accounts beyond the starter pack's cap
    pack_uri: str | None = None

    @property
    def url(self) -> str:
        """The bsky.app page of the list, or of the starter pack."""
        if self.pack_uri:
            return f"https://bsky.app/starter-pack/{self.handle}/{rkey(self.pack_uri)}"
        return f"https://bsky.app/profile/{self.handle}/lists/{rkey(self.list_uri)}"


def rkey(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _call(awaitable: Awaitable[T]) -> T:
    from atproto_client import exceptions

    try:
        return await awaitable
    except (exceptions.UnauthorizedError, exceptions.LoginRequiredError):
        raise AccountExpired("bluesky") from None
    except exceptions.RequestErrorBase as exc:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        content = getattr(response, "content", None)
        if status in (400, 401) and "token" in str(content).lower():
            raise AccountExpired("bluesky") from None
        if status == 429:
            raise RateLimited("rate_limited") from None
        if status is None or status >= 500:
            raise ServiceUnavailable("bluesky") from None
        log.warning("Bluesky refused a list write: %s %s", status, getattr(content, "error", ""))
        raise ListWriteError(str(getattr(content, "error", None) or status)) from None
    except exceptions.AtProtocolError:
        raise ServiceUnavailable("bluesky") from None


async def _create_record(
    client: AsyncClient, did: str, collection: str, record: Any
) -> tuple[str, str]:
    """The new record's (URI, CID)."""
    from atproto import models

    data = models.ComAtprotoRepoCreateRecord.Data(repo=did, collection=collection, record=record)
    response = await _call(client.com.atproto.repo.create_record(data))
    return str(response.uri), str(response.cid)


async def add_members(client: AsyncClient, did: str, list_uri: str, members: Sequence[str]) -> int:
    """One listitem per DID, in applyWrites batches of at most 200; how many calls."""
    from atproto import models

    calls = 0
    for start in range(0, len(members), BATCH):
        now = _now()
        writes = [
            models.ComAtprotoRepoApplyWrites.Create(
                collection=LISTITEM,
                value={"$type": LISTITEM, "subject": member, "list": list_uri, "createdAt": now},
            )
            for member in members[start : start + BATCH]
        ]
        data = models.ComAtprotoRepoApplyWrites.Data(repo=did, writes=writes)
        await _call(client.com.atproto.repo.apply_writes(data))
        calls += 1
    return calls


async def create_list(
    client: AsyncClient,
    did: str,
    name: str,
    members: Sequence[str],
    *,
    description: str = "",
    purpose: Literal["curatelist", "referencelist"] = "curatelist",
    log: Logger | None = None,
) -> str:
    """The list record in `did`'s repository, then its items; the list's AT-URI."""
    record: dict[str, Any] = {
        "$type": LIST,
        "name": clip(name, LIST_NAME_MAX) or "-",
        "purpose": f"app.bsky.graph.defs#{purpose}",
        "createdAt": _now(),
    }
    if description:
        record["description"] = clip(description, DESCRIPTION_MAX)
    uri, _ = await _create_record(client, did, LIST, record)
    if log is not None:
        await log("list", uri, None, None)  # before its items: /undo finds them through it
    await add_members(client, did, uri, members)
    return uri


async def create_starter_pack(
    client: AsyncClient,
    did: str,
    name: str,
    members: Sequence[str],
    *,
    description: str = "",
    log: Logger | None = None,
) -> tuple[str, str]:
    """A reference list of the first 150 `members` and the starter pack: (list, pack) URIs."""
    name = clip(name, PACK_NAME_MAX) or "-"
    kept = members[:STARTER_PACK_MAX]
    list_uri = await create_list(
        client, did, name, kept, description=description, purpose="referencelist", log=log
    )
    record: dict[str, Any] = {"$type": STARTERPACK, "name": name, "list": list_uri,
                              "createdAt": _now()}  # fmt: skip
    if description:
        record["description"] = clip(description, DESCRIPTION_MAX)
    pack_uri, pack_cid = await _create_record(client, did, STARTERPACK, record)
    if log is not None:
        await log("starterpack", pack_uri, pack_cid, list_uri)
    return list_uri, pack_uri


async def export_to_bluesky(
    services: Services,
    user_id: int,
    kind: Kind,
    name: str,
    members: Sequence[str],
    *,
    description: str = "",
    org_id: int | None = None,
) -> Created:
    """Create a list or a starter pack of `members` on the user's connected account
    (for the organisation `org_id` when given: its members' follows then point at the
    pack); each record is logged for /undo.

    Raises `NotConnected`, `AccountExpired`, `ServiceUnavailable`, `ListWriteError`.
    """
    client = await bluesky_client(services, user_id)
    if client is None:
        raise NotConnected()
    try:
        account = await services.accounts.get(user_id, "bluesky")
        if account is None or not account.did:
            raise NotConnected()
        did, handle = account.did, account.handle
        store = UndoStore(services.db)

        async def log(kind: str, uri: str, cid: str | None, list_uri: str | None) -> None:
            await store.log_artefact(user_id, "bluesky", kind, uri, cid=cid,
                                     list_uri=list_uri, org_id=org_id)  # fmt: skip

        if kind == "list":
            uri = await create_list(client, did, name, members, description=description, log=log)
            return Created(kind, handle, uri, len(members), 0)
        list_uri, pack_uri = await create_starter_pack(
            client, did, name, members, description=description, log=log
        )
        kept = min(len(members), STARTER_PACK_MAX)
        return Created(kind, handle, list_uri, kept, len(members) - kept, pack_uri)
    finally:
        await client.request.close()
