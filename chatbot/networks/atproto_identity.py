"""Bluesky identities under the egress policy: handle -> DID, DID -> document, and the
bidirectional handle check (atproto handle spec).

A handle is believed for a DID only when both directions agree: the DID document claims
it (``alsoKnownAs: at://handle``) AND the handle resolves to that DID through a source
independent of any PDS we log into: the operator's resolver (``resolveHandle``), else DNS
TXT ``_atproto.<handle>``, else ``https://<handle>/.well-known/atproto-did``, else the
public AppView. Every fetch goes through the egress policy, and every URL a document
names is checked as a URL from a stranger (`check_url`): https only, no internal literal.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx
from atproto_core.did_doc import DidDocument
from pydantic import ValidationError

from chatbot.networks.egress import Egress, Refused, check_url, http_client

log = logging.getLogger(__name__)

HANDLE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
DID_PLC = re.compile(r"^did:plc:[a-z2-7]{24}$")
DID_WEB = re.compile(r"^did:web:[a-z0-9.-]+(%3a[0-9]{1,5})?$")
DID = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]{1,2000}$")
MAX_DOCUMENT = 64 * 1024  # a DID document is a few hundred bytes


class IdentityUnavailable(Exception):
    """A source did not answer (down, refused, malformed): not the same as "no such"."""


@dataclass(frozen=True)
class DidDoc:
    did: str
    handle: str | None  # the first at:// name it claims (not verified)
    pds: str | None  # the #atproto_pds endpoint, when it passes `check_url`
    pds_refused: bool = False  # it names one that does not (internal, not https...)


def normalize_handle(text: str) -> str | None:
    handle = text.strip().lstrip("@").lower().rstrip(".")
    return handle if len(handle) <= 253 and HANDLE.match(handle) else None


def valid_did(did: str) -> bool:
    return bool(DID_PLC.match(did) or DID_WEB.match(did.lower()))


class IdentityResolver:
    """Resolves under `egress`; `plc_url`, `resolver_url` and `appview_url` are the
    operator's services (trusted to be configured, still checked by the policy)."""

    def __init__(
        self,
        egress: Egress,
        *,
        plc_url: str,
        resolver_url: str | None = None,
        appview_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.egress = egress
        self.plc_url = plc_url.rstrip("/")
        self.resolver_url = resolver_url.rstrip("/") if resolver_url else None
        self.appview_url = appview_url.rstrip("/") if appview_url else None
        self.http = http_client(egress, timeout=timeout, follow_redirects=True)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> IdentityResolver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- DID -> document -------------------------------------------------------------------

    async def did_document(self, did: str) -> DidDoc | None:
        """The document of `did` (None when there is none). Raises `IdentityUnavailable`."""
        if DID_PLC.match(did):
            url = f"{self.plc_url}/{did}"
        elif DID_WEB.match(did.lower()):
            host = unquote(did.lower().removeprefix("did:web:"))
            try:
                url = check_url(self.egress, f"https://{host}/.well-known/did.json")
            except Refused:
                raise IdentityUnavailable("did:web host refused") from None
        else:
            return None
        data = await self._json(url)
        if data is None:
            return None
        try:
            doc = DidDocument.from_dict(data)
        except (ValidationError, ValueError, TypeError):
            raise IdentityUnavailable("malformed DID document") from None
        if doc.get_did() != did:  # a document about another identity
            raise IdentityUnavailable("DID document of another DID")
        pds, refused = doc.get_pds_endpoint(), False
        try:
            pds = check_url(self.egress, pds).rstrip("/") if pds else None
        except Refused:
            pds, refused = None, True
        handle = doc.get_handle()
        claimed = normalize_handle(handle) if isinstance(handle, str) else None
        return DidDoc(did=did, handle=claimed, pds=pds, pds_refused=refused)

    async def _json(self, url: str) -> dict[str, Any] | None:
        try:
            response = await self.http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(type(exc).__name__) from None
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200 or len(response.content) > MAX_DOCUMENT:
            raise IdentityUnavailable(f"HTTP {response.status_code}")
        try:
            data = json.loads(response.content)
        except ValueError:
            raise IdentityUnavailable("invalid JSON") from None
        return data if isinstance(data, dict) else None

    # -- handle -> DID ---------------------------------------------------------------------

    async def resolve_handle(self, handle: str) -> str | None:
        """The DID `handle` resolves to, independently of any PDS; None when it does not.
        Raises `IdentityUnavailable` only when the operator's resolver did not answer."""
        if self.resolver_url:
            return await self._xrpc(self.resolver_url, handle)
        did = await self._dns(handle) or await self._well_known(handle)
        if did is None and self.appview_url:
            try:
                did = await self._xrpc(self.appview_url, handle)
            except IdentityUnavailable:
                did = None
        return did

    async def _dns(self, handle: str) -> str | None:
        try:
            records = await self.egress.resolver.txt(f"_atproto.{handle}")
        except Exception as exc:  # resolver errors vary by library; a miss is enough
            log.info("TXT lookup failed: %s", type(exc).__name__)
            return None
        dids = {r[4:].strip() for r in records if r.startswith("did=")}
        found = [d for d in dids if DID.match(d)]
        return found[0] if len(found) == 1 else None  # several answers: none is trusted

    async def _well_known(self, handle: str) -> str | None:
        try:
            url = check_url(self.egress, f"https://{handle}/.well-known/atproto-did")
            response = await self.http.get(url)
        except (Refused, httpx.HTTPError):
            return None
        if response.status_code != 200:
            return None
        first = response.content[:2048].decode("utf-8", "replace").strip().split("\n")[0]
        return first.strip() if DID.match(first.strip()) else None

    async def _xrpc(self, base: str, handle: str) -> str | None:
        try:
            response = await self.http.get(
                f"{base}/xrpc/com.atproto.identity.resolveHandle", params={"handle": handle}
            )
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(type(exc).__name__) from None
        if response.status_code in (400, 404):
            return None
        if response.status_code == 429:
            raise IdentityUnavailable("rate limited")
        if response.status_code != 200:
            raise IdentityUnavailable(f"HTTP {response.status_code}")
        try:
            did = response.json().get("did")
        except (ValueError, AttributeError):
            raise IdentityUnavailable("invalid JSON") from None
        return did if isinstance(did, str) and DID.match(did) else None

    # -- both directions -------------------------------------------------------------------

    async def verified_handle(self, doc: DidDoc) -> str | None:
        """The handle the document claims, when it also resolves back to the document's
        DID; None otherwise (show the DID instead)."""
        if doc.handle is None:
            return None
        try:
            did = await self.resolve_handle(doc.handle)
        except IdentityUnavailable:
            return None
        return doc.handle if did == doc.did else None
