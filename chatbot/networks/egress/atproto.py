"""The atproto SDK's HTTP layer under the egress policy.

`atproto.AsyncClient(base_url, request=atproto_request(egress))` sends every XRPC call
(login, refresh, deleteSession, writes, blobs) through `GuardedClient`: vetted and pinned
connections, bounded bodies, no redirect to http, tokens dropped across origins.
"""

from __future__ import annotations

from typing import Any

from atproto import AsyncRequest
from atproto_client.request import RequestBase

from chatbot.networks.egress.httpx_client import http_client
from chatbot.networks.egress.policy import Egress

UPLOAD_TOTAL_S = 600.0


class GuardedAsyncRequest(AsyncRequest):  # type: ignore[misc]  # atproto ships no types
    """`atproto.AsyncRequest` whose httpx client is the egress-guarded one."""

    def __init__(self, egress: Egress, timeout: float = 20.0) -> None:
        RequestBase.__init__(self)  # not AsyncRequest's: it would open an unguarded client
        self._client_kwargs: dict[str, Any] = {}
        self._egress = egress
        self._timeout = timeout
        # a whole request may take minutes: uploadBlob of a video is up to 50 MB
        self._client = http_client(
            egress, timeout=timeout, follow_redirects=True, total_timeout=UPLOAD_TOTAL_S
        )

    def _new_instance(self) -> Any:
        return type(self)(self._egress, self._timeout)


def atproto_request(egress: Egress, timeout: float = 20.0) -> Any:
    """An `atproto.AsyncRequest` for ``AsyncClient(..., request=...)``."""
    return GuardedAsyncRequest(egress, timeout)
