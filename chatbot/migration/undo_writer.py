"""The network side of /undo and of blocks: deletes, mutes, profiles, unfollows.

`AtprotoAccountWriter` and `MastodonAccountWriter` extend the follow writers (the same
client, built by `chatbot.accounts`) with what taking things back needs. Deletes go in
``applyWrites`` batches of at most 200 (1 point each, platform-limits §3.1). A batch
that deletes a record no longer there is refused whole by the PDS, so after a failed
batch the job asks which of its records still exist (`exists`).
"""

from __future__ import annotations

from typing import Any

from chatbot.migration.writers import (
    AtprotoFollowWriter,
    BatchResult,
    MastodonPyFollowWriter,
    WriterError,
    response_headers,
)

PROFILE = "app.bsky.actor.profile"
MUTES_MAX_PAGES = 500  # getMutes pages of 100: 50,000 mutes, beyond any real account


def split_uri(uri: str) -> tuple[str, str, str]:
    """at://did/collection/rkey -> (did, collection, rkey)."""
    did, _, rest = uri.removeprefix("at://").partition("/")
    collection, _, rkey = rest.partition("/")
    return did, collection, rkey


class AtprotoAccountWriter(AtprotoFollowWriter):
    """Follows and blocks, plus what undo needs, over a logged-in `atproto.AsyncClient`."""

    async def delete_records(self, uris: list[str]) -> BatchResult:
        """One applyWrites deleting 1 to 200 records of this repository."""
        from atproto import models

        if not 0 < len(uris) <= 200:
            raise ValueError("applyWrites takes 1 to 200 writes")
        writes = []
        for uri in uris:
            _, collection, rkey = split_uri(uri)
            delete = models.ComAtprotoRepoApplyWrites.Delete(collection=collection, rkey=rkey)
            writes.append(delete)
        return await self.apply_writes(writes)

    async def get_record(self, uri: str) -> tuple[dict[str, Any], str] | None:
        """(value, CID) of a record of this repository, None when there is none."""
        _, collection, rkey = split_uri(uri)
        content = await self.read_record(collection, rkey)
        if content is None:
            return None
        return dict(content.get("value") or {}), str(content.get("cid") or "")

    async def exists(self, uri: str) -> bool:
        return await self.get_record(uri) is not None

    async def mute(self, did: str) -> None:
        from atproto import models

        data = models.AppBskyGraphMuteActor.Data(actor=did)
        await self._call("procedure", "app.bsky.graph.muteActor", data=data,
                         input_encoding="application/json")  # fmt: skip

    async def unmute(self, did: str) -> None:
        """Idempotent: unmuting an account not muted is no error."""
        from atproto import models

        data = models.AppBskyGraphUnmuteActor.Data(actor=did)
        await self._call("procedure", "app.bsky.graph.unmuteActor", data=data,
                         input_encoding="application/json")  # fmt: skip

    async def existing_mutes(self) -> set[str]:
        """The DIDs this account mutes (the AppView keeps mutes; they are no records)."""
        from atproto import models

        found: set[str] = set()
        cursor: str | None = None
        for _ in range(MUTES_MAX_PAGES):
            params = models.AppBskyGraphGetMutes.Params(limit=100, cursor=cursor)
            response = await self._call("query", "app.bsky.graph.getMutes", params=params)
            content = response.content if isinstance(response.content, dict) else {}
            found.update(str(m.get("did")) for m in content.get("mutes") or () if m.get("did"))
            cursor = content.get("cursor")
            if not cursor or not content.get("mutes"):
                break
        return found

    async def profile(self) -> tuple[dict[str, Any], str | None]:
        """The profile record and its CID ({} and None when the account has none)."""
        found = await self.get_record(f"at://{self.did}/{PROFILE}/self")
        return (found[0], found[1]) if found else ({}, None)

    async def upload(self, data: bytes, mime: str) -> dict[str, Any]:
        response = await self._call(
            "procedure", "com.atproto.repo.uploadBlob", data=data, input_encoding=mime
        )
        content = response.content if isinstance(response.content, dict) else {}
        blob = content.get("blob")
        if not isinstance(blob, dict):
            raise WriterError("blob_refused")
        return blob

    async def put_profile(self, record: dict[str, Any], swap: str | None) -> dict[str, str]:
        """putRecord of the profile (2 points), failing if it changed since `swap`."""
        from atproto import models

        data = models.ComAtprotoRepoPutRecord.Data(
            repo=self.did, collection=PROFILE, rkey="self", record={**record, "$type": PROFILE},
            swap_record=swap or None,
        )  # fmt: skip
        response = await self._call("procedure", "com.atproto.repo.putRecord", data=data,
                                    input_encoding="application/json")  # fmt: skip
        return response_headers(response.headers)


class MastodonAccountWriter(MastodonPyFollowWriter):
    """Follows plus unfollows and profile restores over a `mastodon.Mastodon` client."""

    async def unfollow(self, account_id: str) -> None:
        """Unfollow (also withdraws a follow request); an account gone is no error."""
        await self._call("account_unfollow", account_id)

    async def restore_profile(self, changes: dict[str, Any], cleared: list[str]) -> None:
        """update_credentials with `changes`; then remove the pictures in `cleared`
        ("avatar", "header": back to the server's default picture)."""
        if changes:
            await self._call("account_update_credentials", **changes)
        for kind in cleared:
            await self._call(f"account_delete_{kind}")
