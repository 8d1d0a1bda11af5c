"""A user's browser on the PDS's authorization page, driven over plain HTTP.

It does what the page's own frontend does (``@atproto/oauth-provider-ui``): load
``/oauth/authorize`` as a navigation (the server sets its device and CSRF cookies), sign
in through ``/@atproto/oauth-provider/~api/sign-in`` and approve through ``.../consent``
(same-origin JSON calls carrying the CSRF token), then follow the redirect to the bot's
callback, over TLS with the test CA, to the name the link points at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import httpx

API = "/@atproto/oauth-provider/~api"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) test-browser"


@dataclass
class Browser:
    ca_file: str
    cookies: dict[str, str] = field(default_factory=dict)

    def _headers(self, **extra: str) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, **extra}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep(self, response: httpx.Response) -> None:
        for raw in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    async def open_authorize(self, http: httpx.AsyncClient, url: str) -> httpx.Response:
        response = await http.get(url, headers=self._headers(
            Accept="text/html", **{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document",
                                   "Sec-Fetch-Site": "cross-site"}))  # fmt: skip
        self._keep(response)
        return response

    async def api(
        self, http: httpx.AsyncClient, page: str, endpoint: str, body: dict[str, Any],
        bearer: str | None = None,
    ) -> httpx.Response:  # fmt: skip
        parts = urlsplit(page)
        origin = f"{parts.scheme}://{parts.netloc}"
        headers = self._headers(**{
            "Origin": origin, "Referer": page, "Content-Type": "application/json",
            "Sec-Fetch-Mode": "same-origin", "Sec-Fetch-Site": "same-origin",
            "Sec-Fetch-Dest": "empty", "x-csrf-token": self.cookies.get("csrf-token", ""),
        })  # fmt: skip
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        response = await http.post(origin + API + endpoint, json=body, headers=headers)
        self._keep(response)
        return response

    async def follow_redirect(self, http: httpx.AsyncClient, page: str, url: str) -> str:
        """The authorization server's redirect page -> the Location of the client callback."""
        response = await http.get(url, headers=self._headers(**{
            "Referer": page, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document",
            "Sec-Fetch-Site": "same-origin"}))  # fmt: skip
        assert response.status_code == 303, (response.status_code, response.text[:300])
        return response.headers["Location"]

    async def open_callback(self, location: str, language: str | None = None) -> httpx.Response:
        """GET the bot's callback through its TLS front: the test name -> 127.0.0.1
        (`language`: the browser's ``Accept-Language``)."""
        parts = urlsplit(location)
        host = parts.hostname or ""
        local = location.replace(f"//{parts.netloc}", f"//127.0.0.1:{parts.port}", 1)
        headers = {"Host": parts.netloc}
        if language:
            headers["Accept-Language"] = language
        async with httpx.AsyncClient(verify=self._verify(), timeout=30) as http:
            return await http.get(local, headers=headers, extensions={"sni_hostname": host})

    def _verify(self) -> Any:
        import ssl

        return ssl.create_default_context(cafile=self.ca_file)


async def approve(
    ca_file: str, url: str, username: str, password: str, *, consent: bool = True
) -> str:
    """Sign in as `username` on the authorization page of `url`, approve (or refuse);
    the callback URL the browser is sent to."""
    browser = Browser(ca_file)
    async with httpx.AsyncClient(timeout=30, follow_redirects=False) as http:
        page = await browser.open_authorize(http, url)
        assert page.status_code == 200, (page.status_code, page.text[:500])
        signed = await browser.api(http, url, "/sign-in", {
            "locale": "en", "username": username, "password": password})  # fmt: skip
        assert signed.status_code == 200, signed.text[:500]
        data = signed.json()
        if consent:
            answer = await browser.api(
                http, url, "/consent", {"did": data["account"]["did"]},
                bearer=data.get("ephemeralToken"),
            )  # fmt: skip
        else:
            answer = await browser.api(http, url, "/reject", {})
        assert answer.status_code == 200, answer.text[:500]
        return await browser.follow_redirect(http, url, answer.json()["url"])
