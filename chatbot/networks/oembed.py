"""X's public oEmbed endpoint: who wrote a post and what it says, with no API key.

``GET https://publish.twitter.com/oembed?url=<status url>&omit_script=1`` answers JSON
with ``author_name``, ``author_url`` and ``html``, a ``<blockquote class="twitter-tweet">``
whose first ``<p>`` is the post's text. It answers 404 for a post that does not exist
(or was deleted) and 403 for a protected account's post: both give None here. Used to
check that a verification code was posted from an X account.
"""

from __future__ import annotations

import re

from chatbot.networks.cache import TTLCache
from chatbot.networks.egress import Egress
from chatbot.networks.html_text import html_to_text
from chatbot.networks.http import HttpPolicy, RateLimitedClient
from chatbot.networks.types import NetworkUnavailable, OembedPost

DEFAULT_ENDPOINT = "https://publish.twitter.com/oembed"
_STATUS_URL = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/([A-Za-z0-9_]{1,15})/status(?:es)?/(\d{1,20})"
    r"(?:[/?#].*)?$"
)


def canonical_status_url(url: str) -> str | None:
    """``https://twitter.com/<user>/status/<id>`` for an X or Twitter status URL, else None."""
    match = _STATUS_URL.match(url.strip())
    if not match:
        return None
    return f"https://twitter.com/{match.group(1)}/status/{match.group(2)}"


class XOembedClient:
    """`XOembed` over an oEmbed endpoint (default X's public one; configurable for tests).

    Found posts are cached for `hit_ttl` seconds; misses are not cached, so a user who
    has just posted their code can ask again at once.
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        policy: HttpPolicy | None = None,
        hit_ttl: float = 600.0,
        egress: Egress | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.http = RateLimitedClient("x", policy=policy, egress=egress)
        self.cache: TTLCache[str, OembedPost] = TTLCache(hit_ttl, 0.0)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> XOembedClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def post(self, url: str) -> OembedPost | None:
        status_url = canonical_status_url(url)
        if status_url is None:
            return None
        cached, post = self.cache.get(status_url)
        if cached:
            return post
        response = await self.http.get(
            self.endpoint, params={"url": status_url, "omit_script": "1", "dnt": "true"}
        )
        if response.status_code in (400, 403, 404, 410):
            return None
        if response.status_code != 200:
            raise NetworkUnavailable("x", f"oEmbed: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise NetworkUnavailable("x", "invalid JSON from the oEmbed endpoint") from None
        if not isinstance(data, dict):
            return None
        author_name, author_url = data.get("author_name"), data.get("author_url")
        html = data.get("html")
        if not isinstance(author_url, str) or not isinstance(html, str):
            return None
        post = OembedPost(
            author_name=author_name if isinstance(author_name, str) else "",
            author_url=author_url,
            text=html_to_text(html, first_tag="p"),
        )
        self.cache.put(status_url, post)
        return post
