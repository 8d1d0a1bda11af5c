"""The network side of a post import: upload media, create a post under a chosen key.

The job only sees `BlueskyPostWriter`; the bot builds `AtprotoPostWriter` from the
client `/connect` keeps. Posts are created with `createRecord` under a record key
derived from the tweet (`chatbot.posts.tid.tweet_rkey`), so a create repeated after a
crash finds the post already there (`get_post`) instead of posting it twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from chatbot.migration.writers import AtprotoCaller, WriterError, response_headers

POST = "app.bsky.feed.post"


@dataclass(frozen=True)
class PostRef:
    uri: str
    cid: str
    headers: dict[str, str] = field(default_factory=dict, compare=False)


class BlueskyPostWriter(Protocol):
    requests: int

    async def upload(self, data: bytes, mime: str) -> dict[str, Any]:
        """`uploadBlob`: the blob reference to put in an embed."""
        ...

    async def create_post(self, rkey: str, record: dict[str, Any]) -> PostRef:
        """`createRecord` of one post under `rkey`."""
        ...

    async def get_post(self, rkey: str) -> PostRef | None:
        """The post already under `rkey` in the account's repository, if any."""
        ...


class AtprotoPostWriter(AtprotoCaller):
    """`BlueskyPostWriter` over a logged-in `atproto.AsyncClient`."""

    async def upload(self, data: bytes, mime: str) -> dict[str, Any]:
        response = await self._call(
            "procedure", "com.atproto.repo.uploadBlob", data=data, input_encoding=mime
        )
        content = response.content if isinstance(response.content, dict) else {}
        blob = content.get("blob")
        if not isinstance(blob, dict):
            raise WriterError("blob_refused")
        return blob

    async def create_post(self, rkey: str, record: dict[str, Any]) -> PostRef:
        from atproto import models

        data = models.ComAtprotoRepoCreateRecord.Data(
            repo=self.did, collection=POST, rkey=rkey, record=record
        )
        response = await self._call(
            "procedure",
            "com.atproto.repo.createRecord",
            data=data,
            input_encoding="application/json",
        )
        content = response.content if isinstance(response.content, dict) else {}
        return PostRef(
            str(content.get("uri", "")),
            str(content.get("cid", "")),
            response_headers(response.headers),
        )

    async def get_post(self, rkey: str) -> PostRef | None:
        content = await self.read_record(POST, rkey)
        if content is None:
            return None
        return PostRef(str(content["uri"]), str(content.get("cid", "")))
