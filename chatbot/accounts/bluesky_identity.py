"""Which Bluesky account an identifier names, and where it lives: DID, PDS, verified handle.

The account may live on any PDS: handle -> DID (the operator's resolver, else DNS TXT /
``.well-known``, else the public AppView), DID -> DID document (PLC directory or did:web)
-> its ``#atproto_pds`` endpoint (`chatbot.networks.atproto_identity`), every request
under the egress policy. The handle shown is the one the DID document claims AND that
resolves back to the DID; otherwise the DID (a PDS's own word is never taken).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatbot.accounts import ConnectFailed
from chatbot.accounts.identifiers import BadIdentifier, Identifier, parse_identifier
from chatbot.networks.atproto_identity import IdentityResolver, IdentityUnavailable

if TYPE_CHECKING:
    from chatbot.services import Services

log = logging.getLogger(__name__)

TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Identity:
    handle: str  # verified both ways, else the DID
    did: str
    pds_url: str


def identifier(services: Services, text: str) -> Identifier:
    """`text` as an identifier, bare names completed with the configured suffix.
    Raises `BadIdentifier`."""
    return parse_identifier(text, default_suffix=services.settings.bluesky_default_handle_suffix)


def parse_or_none(services: Services, text: str) -> Identifier | None:
    try:
        return identifier(services, text)
    except BadIdentifier:
        return None


def identity_resolver(services: Services) -> IdentityResolver:
    settings = services.settings
    return IdentityResolver(
        services.egress,
        plc_url=settings.bluesky_plc_url,
        resolver_url=settings.bluesky_resolver_url,
        appview_url=settings.bluesky_appview_url,
        timeout=TIMEOUT_S,
    )


async def resolve(services: Services, handle: str) -> Identity:
    """Find the account's DID, PDS and verified handle from a handle or a DID. Raises
    `ConnectFailed` (unknown_handle, service_down)."""
    async with identity_resolver(services) as resolver:
        try:
            did = handle if handle.startswith("did:") else await resolver.resolve_handle(handle)
        except IdentityUnavailable:
            raise ConnectFailed("service_down") from None
        if did is None:
            raise ConnectFailed("unknown_handle")
        try:
            doc = await resolver.did_document(did)
        except IdentityUnavailable as exc:
            log.info("DID document unavailable: %s", exc)
            raise ConnectFailed("unknown_handle") from None
        if doc is None or (doc.pds is None and not doc.pds_refused):
            raise ConnectFailed("unknown_handle")
        if doc.pds is None:  # an internal or non-https PDS: as if it did not answer
            raise ConnectFailed("service_down")
        shown = await resolver.verified_handle(doc) or did
    return Identity(handle=shown, did=did, pds_url=doc.pds)
