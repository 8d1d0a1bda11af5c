"""The network side of follow jobs: small protocols, implemented over the SDK clients.

Jobs only see `BlueskyFollowWriter` and `MastodonFollowWriter`; tests and the benchmark
build the implementations below from a logged-in client, the bot from the client that
`/connect` keeps (`chatbot.accounts`). The Bluesky writer goes through the atproto
client's own request path (`invoke_procedure`), which refreshes the session and hands back
the response headers, so the budget sees the server's ``RateLimit-*`` values.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from atproto import AsyncClient
    from mastodon import Mastodon

log = logging.getLogger(__name__)

FOLLOW = "app.bsky.graph.follow"
BLOCK = "app.bsky.graph.block"
MAX_PAGES = 50_000  # listRecords pages read from one collection


class WriterError(Exception):
    """A write failed; `code` is short and stored as the job's last error."""

    def __init__(self, code: str, *, retry: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.retry = retry


class RateLimitedError(WriterError):
    """HTTP 429: wait for the reset the headers give, then send the same batch again."""

    def __init__(self, headers: dict[str, str], *, reset_at: float | None = None) -> None:
        super().__init__("rate_limited", retry=True)
        self.headers = headers
        self.reset_at = reset_at


class ExpiredError(WriterError):
    """The session or token is no longer valid: the user must /connect again."""

    def __init__(self) -> None:
        super().__init__("expired")


@dataclass
class BatchResult:
    uris: list[str]
    headers: dict[str, str] = field(default_factory=dict)


class BlueskyFollowWriter(Protocol):
    requests: int  # HTTP requests made (the benchmark counts them)

    async def existing_follows(self) -> dict[str, str]:
        """Subject DID -> follow record URI, from the account's own repository."""
        ...

    async def create_follows(self, subjects: list[str]) -> BatchResult:
        """One applyWrites of follow records (at most 200). Implementations may take a
        keyword ``via``: the strongRef of the starter pack that led to the follows."""
        ...


def response_headers(raw: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(raw or {}).items()}


async def close_writer(writer: object) -> None:
    """Close the client a writer holds (stand-ins in tests may have nothing to close)."""
    close = getattr(writer, "close", None)
    if close is not None:
        try:
            await close()
        except Exception:
            log.debug("closing a writer failed", exc_info=True)


class AtprotoCaller:
    """XRPC calls through a logged-in `atproto.AsyncClient`, errors as `WriterError`s."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.requests = 0

    async def close(self) -> None:
        await self.client.request.close()

    @property
    def did(self) -> str:
        """The account's DID: from the profile when it was fetched at login, otherwise
        from the session (a client restored from a stored session has no profile)."""
        from atproto import Session

        if self.client.me is not None:
            return str(self.client.me.did)
        try:
            return str(Session.decode(self.client.export_session_string()).did)
        except (AttributeError, ValueError):  # no session at all
            raise ExpiredError() from None

    async def _call(self, kind: str, nsid: str, **kwargs: Any) -> Any:
        from atproto import exceptions

        self.requests += 1
        try:
            if kind == "query":
                return await self.client.invoke_query(nsid, **kwargs)
            return await self.client.invoke_procedure(nsid, **kwargs)
        except exceptions.RequestErrorBase as exc:
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", None)
            headers = response_headers(getattr(response, "headers", None))
            if status == 429:
                raise RateLimitedError(headers) from None
            if status in (400, 401) and "token" in str(getattr(response, "content", "")).lower():
                raise ExpiredError() from None
            if status is None or status >= 500:
                raise WriterError(f"http_{status or 'network'}", retry=True) from None
            error = getattr(getattr(response, "content", None), "error", None)
            log.warning("%s refused: %s", nsid, getattr(response, "content", None))
            raise WriterError(
                f"http_{status}_{error}"[:60] if error else f"http_{status}"
            ) from None
        except exceptions.AtProtocolError as exc:
            raise WriterError(type(exc).__name__[:60], retry=True) from None

    async def read_record(self, collection: str, rkey: str) -> dict[str, Any] | None:
        """``getRecord`` of this repository (``uri``, ``cid``, ``value``); None if absent."""
        from atproto import models

        params = models.ComAtprotoRepoGetRecord.Params(
            repo=self.did, collection=collection, rkey=rkey
        )
        try:
            response = await self._call("query", "com.atproto.repo.getRecord", params=params)
        except WriterError as exc:
            if exc.code.startswith(("http_400", "http_404")):  # RecordNotFound
                return None
            raise
        content = response.content if isinstance(response.content, dict) else {}
        return content if content.get("uri") else None


class AtprotoFollowWriter(AtprotoCaller):
    """`BlueskyFollowWriter` over a logged-in `atproto.AsyncClient`."""

    async def existing_follows(self) -> dict[str, str]:
        return await self.subjects(FOLLOW)

    async def existing_blocks(self) -> dict[str, str]:
        """Subject DID -> block record URI: the accounts this account blocks."""
        return await self.subjects(BLOCK)

    async def subjects(self, collection: str) -> dict[str, str]:
        """Subject DID -> record URI of every `collection` record in the repository."""
        found: dict[str, str] = {}
        async for uri, value in self.records(collection):
            subject = value.get("subject")
            if isinstance(subject, str):
                found.setdefault(subject, uri)
        return found

    async def records(self, collection: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """(URI, value) of every `collection` record in the repository, page by page (at
        most `MAX_PAGES` pages of 100: 5,000,000 records, beyond any real account)."""
        from atproto import models

        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = models.ComAtprotoRepoListRecords.Params(
                repo=self.did, collection=collection, limit=100, cursor=cursor
            )
            response = await self._call("query", "com.atproto.repo.listRecords", params=params)
            content = response.content if isinstance(response.content, dict) else {}
            for record in content.get("records", []):
                yield str(record.get("uri", "")), dict(record.get("value") or {})
            cursor = content.get("cursor")
            if not cursor or not content.get("records"):
                return

    async def create_follows(
        self, subjects: list[str], *, via: dict[str, str] | None = None
    ) -> BatchResult:
        return await self.create_subject_records(FOLLOW, subjects, {"via": via} if via else {})

    async def create_blocks(self, subjects: list[str]) -> BatchResult:
        return await self.create_subject_records(BLOCK, subjects)

    async def create_subject_records(
        self, collection: str, subjects: list[str], extra: dict[str, Any] | None = None
    ) -> BatchResult:
        """One applyWrites of `collection` records (follows, blocks) of 1 to 200 subjects."""
        from atproto import models

        if not 0 < len(subjects) <= 200:
            raise ValueError("applyWrites takes 1 to 200 writes")
        now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
        writes = [
            models.ComAtprotoRepoApplyWrites.Create(
                collection=collection,
                value={"$type": collection, "subject": did, "createdAt": now, **(extra or {})},
            )
            for did in subjects
        ]
        return await self.apply_writes(writes)

    async def apply_writes(self, writes: list[Any]) -> BatchResult:
        """One atomic applyWrites of this repository; the URIs of the records created."""
        from atproto import models

        data = models.ComAtprotoRepoApplyWrites.Data(repo=self.did, writes=writes)
        response = await self._call(
            "procedure",
            "com.atproto.repo.applyWrites",
            data=data,
            input_encoding="application/json",
        )
        content = response.content if isinstance(response.content, dict) else {}
        uris = [str(item.get("uri", "")) for item in content.get("results") or []]
        return BatchResult(uris, response_headers(response.headers))


# --- Mastodon -------------------------------------------------------------------------------

FollowState = Literal["followed", "requested", "already"]


@dataclass(frozen=True)
class MastoAccount:
    id: str
    acct: str
    moved_to: MastoAccount | None = None


class MastodonFollowWriter(Protocol):
    requests: int

    async def lookup(self, acct: str) -> MastoAccount | None: ...

    async def follow(self, account_id: str) -> FollowState: ...

    async def relationships(self, account_ids: list[str]) -> dict[str, Relation]:
        """One request for up to 40 accounts: how the user's account relates to each."""
        ...

    async def me(self) -> MastoAccount:
        """The connected account itself."""
        ...

    def rate_reset(self) -> float | None:
        """Epoch seconds when the X-RateLimit window resets, when the server said so."""
        ...


@dataclass(frozen=True)
class Relation:
    following: bool = False  # or a follow request waiting for approval
    blocking: bool = False  # or muting


RELATIONSHIPS_BATCH = 40  # accounts per GET /api/v1/accounts/relationships


def _account(value: Any) -> MastoAccount:
    moved = value.get("moved")
    return MastoAccount(str(value["id"]), str(value["acct"]), _account(moved) if moved else None)


class MastodonPyFollowWriter:
    """`MastodonFollowWriter` over a `mastodon.Mastodon` client (run in a thread)."""

    def __init__(self, client: Mastodon) -> None:
        self.client = client
        self.requests = 0

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        from mastodon import errors

        self.requests += 1
        try:
            return await asyncio.to_thread(getattr(self.client, method), *args, **kwargs)
        except errors.MastodonRatelimitError:
            raise RateLimitedError({}, reset_at=self.rate_reset()) from None
        except errors.MastodonUnauthorizedError:
            raise ExpiredError() from None
        except errors.MastodonNotFoundError:
            return None
        except errors.MastodonNetworkError:
            raise WriterError("network", retry=True) from None
        except errors.MastodonAPIError as exc:
            raise WriterError(f"api_{exc.args[1] if len(exc.args) > 1 else 'error'}") from None

    async def lookup(self, acct: str) -> MastoAccount | None:
        found = await self._call("account_lookup", acct)
        if not found and "@" in acct.lstrip("@"):
            found = await self._resolve(acct)
        return _account(found) if found else None

    async def _resolve(self, acct: str) -> Any:
        """A remote account the server has not seen yet (Threads accounts, often): Mastodon's
        lookup never asks other servers, its search with ``resolve=true`` does (WebFinger)."""
        wanted = acct.lstrip("@").lower()
        found = await self._call(
            "search_v2", wanted, resolve=True, result_type="accounts", exclude_unreviewed=False
        )
        accounts = found.get("accounts") if isinstance(found, dict) else None
        for account in (accounts or ())[:20]:
            if str(account.get("acct", "")).lower() == wanted:
                return account
        return None

    async def relationships(self, account_ids: list[str]) -> dict[str, Relation]:
        found: dict[str, Relation] = {}
        for start in range(0, len(account_ids), RELATIONSHIPS_BATCH):
            chunk = account_ids[start : start + RELATIONSHIPS_BATCH]
            for rel in await self._call("account_relationships", chunk) or ():
                following = bool(rel.get("following") or rel.get("requested"))
                blocking = bool(rel.get("blocking") or rel.get("muting"))
                found[str(rel.get("id"))] = Relation(following, blocking)
        return found

    async def me(self) -> MastoAccount:
        found = await self._call("account_verify_credentials")
        if not found:
            raise ExpiredError()
        return _account(found)

    async def follow(self, account_id: str) -> FollowState:
        """Follow (the job asked `relationships` first: already followed is skipped)."""
        result = await self._call("account_follow", account_id)
        if result is None:
            raise WriterError("not_found")
        return (
            "requested" if result.get("requested") and not result.get("following") else "followed"
        )

    async def close(self) -> None:
        session = getattr(self.client, "session", None)
        if session is not None:
            await asyncio.to_thread(session.close)

    def rate_reset(self) -> float | None:
        reset = getattr(self.client, "ratelimit_reset", None)
        return float(reset) if reset else None
