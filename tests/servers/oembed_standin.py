"""A stand-in for X's public oEmbed endpoint (``https://publish.twitter.com/oembed``).

It answers like the real one: ``GET /oembed?url=<status url>[&omit_script=1]`` gives the
rich-type JSON whose ``html`` is a ``<blockquote class="twitter-tweet">`` with the post's
text in its first ``<p>`` (links and mentions as ``<a>``, line breaks as ``<br>``),
followed by ``&mdash; Name (@handle) <a href=...>date</a>``. The post is found by its
numeric id whatever screen name the URL carries, and the JSON names the real author, as
X does. Unknown or deleted posts give 404, protected ones 403. Bound to 127.0.0.1.

Usage::

    standin = OembedStandin()
    standin.add_post("20", "jack", "jack", "just setting up my twttr")
    async with standin.running() as endpoint:   # http://127.0.0.1:PORT/oembed
        ...

or ``python -m tests.servers.oembed_standin --port 8089`` for manual tries.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

_STATUS = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/[A-Za-z0-9_]{1,15}/status(?:es)?/(\d+)"
)


@dataclass
class StandinPost:
    status_id: str
    screen_name: str
    name: str
    text: str  # plain text; @mentions and URLs become links, newlines <br>
    date: str = "March 21, 2006"
    protected: bool = False
    deleted: bool = False


def _text_html(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"(https?://\S+)", lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', out)
    out = re.sub(
        r"(?<![\w/])@(\w{1,15})",
        lambda m: (
            f'<a href="https://twitter.com/{m.group(1)}?ref_src=twsrc%5Etfw">@{m.group(1)}</a>'
        ),
        out,
    )
    return out.replace("\n", "<br>")


class OembedStandin:
    def __init__(self) -> None:
        self.posts: dict[str, StandinPost] = {}
        self.requests: list[str] = []  # the `url` parameters received

    def add_post(
        self, status_id: str, screen_name: str, name: str, text: str, **kw: object
    ) -> str:
        self.posts[status_id] = StandinPost(status_id, screen_name, name, text, **kw)  # type: ignore[arg-type]
        return f"https://x.com/{screen_name}/status/{status_id}"

    def payload(self, post: StandinPost, omit_script: bool) -> dict[str, object]:
        url = f"https://twitter.com/{post.screen_name}/status/{post.status_id}"
        quote = (
            f'<blockquote class="twitter-tweet"><p lang="en" dir="ltr">{_text_html(post.text)}'
            f"</p>&mdash; {html.escape(post.name)} (@{post.screen_name}) "
            f'<a href="{url}?ref_src=twsrc%5Etfw">{post.date}</a></blockquote>\n'
        )
        if not omit_script:
            quote += (
                '<script async src="https://platform.twitter.com/widgets.js" '
                'charset="utf-8"></script>\n'
            )
        return {
            "url": url,
            "author_name": post.name,
            "author_url": f"https://twitter.com/{post.screen_name}",
            "html": quote,
            "width": 550,
            "height": None,
            "type": "rich",
            "cache_age": "3153600000",
            "provider_name": "Twitter",
            "provider_url": "https://twitter.com",
            "version": "1.0",
        }

    async def handle(self, request: web.Request) -> web.Response:
        url = request.query.get("url", "")
        self.requests.append(url)
        match = _STATUS.match(url)
        if not match:
            return web.json_response({"error": "invalid url"}, status=400)
        post = self.posts.get(match.group(1))
        if post is None or post.deleted:
            return web.Response(status=404, text="")
        if post.protected:
            return web.json_response(
                {"errors": [{"message": "Sorry, you are not authorized to see this status."}]},
                status=403,
            )
        omit = request.query.get("omit_script") in ("1", "true", "t")
        return web.json_response(self.payload(post, omit))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/oembed", self.handle)
        return app

    @asynccontextmanager
    async def running(self, port: int = 0) -> AsyncIterator[str]:
        """Serve on 127.0.0.1 (a free port by default); yield the endpoint URL."""
        runner = web.AppRunner(self.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        try:
            bound = runner.addresses[0][1]
            yield f"http://127.0.0.1:{bound}/oembed"
        finally:
            await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args()
    standin = OembedStandin()
    standin.add_post("20", "jack", "jack", "just setting up my twttr")

    async def serve() -> None:
        async with standin.running(args.port) as endpoint:
            print(f"oEmbed stand-in on {endpoint}", flush=True)
            await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
