"""A stand-in for Threads' fediverse side (WebFinger and ActivityPub actors), over real HTTP.

Known (answers quoted in public issue threads, 2023-12 to 2024-10; field-2026.md §8):

* Only profiles whose owners turned on "fediverse sharing" can be found or followed from
  the fediverse, as ``@user@threads.net``. For every other name, WebFinger answers
  ``{"success":false,"error":"Not found"}`` (ktistec #74: ``danluu.danluu`` not opted in,
  ``mosseri`` opted in; friends #376).
* WebFinger: ``https://threads.net/.well-known/webfinger?resource=acct:user@threads.net``
  (``www.threads.net`` answers too) gives ``{"subject": "acct:user@threads.net", "links":
  [{"rel": "self", "type": "application/activity+json", "href":
  "https://threads.net/ap/users/<numeric id>/"}, {"rel":
  "http://webfinger.net/rel/profile-page", "type": "text/html", "href":
  "https://www.threads.net/@user"}]}`` (fedify #122, 2024-08).
* The actor needs a signed request ("authorized fetch"): an unsigned GET of
  ``/ap/users/<id>/`` answers ``{"success":false,"error":"Not found"}`` (fedify #122,
  friends #376). Mastodon servers, which sign, can find and follow the account.
* The web domain moved to threads.com (2025); fediverse handles still use threads.net.

Assumed (not verified at a primary source): the not-found answers come with HTTP 404; a
malformed ``resource`` gets 400; when signed, the actor is a ``Person`` with
``preferredUsername``, ``name``, ``summary`` (the bio, HTML) and ``url``; heavy use gets
HTTP 429 with ``Retry-After`` (`throttle` answers the next N requests that way);
``acct:user@threads.com`` is not answered (the bot only asks threads.net).

So by default (`signed_fetch` True, as Threads does) the bot, which does not sign, gets
the WebFinger answer only: no bio. Tests set ``signed_fetch = False`` to play a Threads
whose actors answer, for the rules that read the bio. Bound to 127.0.0.1.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web


def not_found() -> web.Response:
    return web.json_response({"success": False, "error": "Not found"}, status=404)


@dataclass
class ThreadsProfile:
    username: str
    display_name: str = ""
    bio: str = ""  # plain text; served as HTML in the actor's summary
    fediverse_sharing: bool = True
    numeric_id: int = 0


class ThreadsStandin:
    def __init__(self) -> None:
        self.profiles: dict[str, ThreadsProfile] = {}
        self.base = ""
        self.hits: list[str] = []  # paths with their query, in order
        self.throttle = 0  # the next N requests get 429
        self.retry_after = 1
        self.signed_fetch = True  # actors refuse unsigned fetches (as Threads does)
        # hostile answers, for the tests of what the reader refuses: username -> the JRD
        # served instead, or the actor's preferredUsername
        self.jrd_for: dict[str, dict[str, object]] = {}
        self.actor_name_for: dict[str, str] = {}

    def add(self, profile: ThreadsProfile) -> ThreadsProfile:
        if not profile.numeric_id:
            profile.numeric_id = 17841400000000000 + len(self.profiles) + 1
        self.profiles[profile.username.lower()] = profile
        return profile

    def actor_url(self, profile: ThreadsProfile) -> str:
        return f"{self.base}/ap/users/{profile.numeric_id}/"

    def _throttled(self, request: web.Request) -> web.Response | None:
        self.hits.append(request.path_qs)
        if self.throttle > 0:
            self.throttle -= 1
            return web.json_response(
                {"error": "rate limited"}, status=429,
                headers={"Retry-After": str(self.retry_after)},
            )  # fmt: skip
        return None

    async def webfinger(self, request: web.Request) -> web.Response:
        refused = self._throttled(request)
        if refused is not None:
            return refused
        resource = request.query.get("resource", "")
        if not resource.startswith("acct:") or "@" not in resource:
            return web.json_response({"error": "bad resource"}, status=400)
        username, _, domain = resource.removeprefix("acct:").rpartition("@")
        profile = self.profiles.get(username.lower())
        if domain.lower() != "threads.net" or profile is None or not profile.fediverse_sharing:
            return not_found()
        if profile.username in self.jrd_for:
            return web.json_response(self.jrd_for[profile.username])
        name = profile.username
        return web.json_response(
            {
                "links": [
                    {
                        "href": self.actor_url(profile),
                        "rel": "self",
                        "type": "application/activity+json",
                    },
                    {
                        "href": f"https://www.threads.net/@{name}",
                        "rel": "http://webfinger.net/rel/profile-page",
                        "type": "text/html",
                    },
                ],
                "subject": f"acct:{name}@threads.net",
            },
            content_type="application/jrd+json",
        )

    async def actor(self, request: web.Request) -> web.Response:
        refused = self._throttled(request)
        if refused is not None:
            return refused
        if self.signed_fetch:
            return not_found()
        wanted = request.match_info["id"]
        profile = next((p for p in self.profiles.values() if str(p.numeric_id) == wanted), None)
        if profile is None or not profile.fediverse_sharing:
            return not_found()
        summary = "".join(f"<p>{html.escape(line)}</p>" for line in profile.bio.split("\n"))
        return web.json_response(
            {
                "@context": [
                    "https://www.w3.org/ns/activitystreams",
                    "https://w3id.org/security/v1",
                ],
                "id": self.actor_url(profile),
                "type": "Person",
                "preferredUsername": self.actor_name_for.get(profile.username, profile.username),
                "name": profile.display_name,
                "summary": summary,
                "url": f"https://www.threads.net/@{profile.username}",
                "inbox": f"{self.actor_url(profile)}inbox/",
                "manuallyApprovesFollowers": False,
            },
            content_type="application/activity+json",
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_get("/.well-known/webfinger", self.webfinger)
        app.router.add_get("/ap/users/{id}/", self.actor)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            self.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
            yield self.base
        finally:
            await runner.cleanup()
