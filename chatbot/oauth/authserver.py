"""Requests to an authorization server: client assertion, DPoP proof, nonce retry.

PAR, token (code and refresh grants) and revocation all POST a form with a fresh client
assertion (`private_key_jwt`, signed with the client key the session is bound to) and a
DPoP proof signed with the session's DPoP key. A server that wants a nonce answers 400
``use_dpop_nonce`` with a ``DPoP-Nonce`` header: the request is sent once more with it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.jwk import ECKey

from chatbot.oauth import OAuthError, jose
from chatbot.oauth.http import origin, read_json

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientAuth:
    """What proves the client: its id (the metadata URL) and the key a session is bound to."""

    client_id: str
    kid: str
    key: ECKey


async def post(
    http: httpx.AsyncClient,
    url: str,
    form: dict[str, str],
    *,
    issuer: str,
    client: ClientAuth,
    dpop_key: ECKey,
) -> tuple[int, dict[str, Any]]:
    """POST `form` to an endpoint of `issuer`; (status, JSON body). Raises `OAuthError`."""
    server = origin(url)
    for _attempt in range(2):
        body = {
            **form,
            "client_id": client.client_id,
            "client_assertion_type": jose.ASSERTION_TYPE,
            "client_assertion": jose.client_assertion(
                client.key, client.kid, client.client_id, issuer
            ),
        }
        proof = jose.dpop_proof(dpop_key, "POST", url, nonce=jose.NONCES.get(server))
        try:
            async with http.stream("POST", url, data=body, headers={"DPoP": proof}) as response:
                jose.NONCES.put(server, response.headers.get("DPoP-Nonce"))
                data = await read_json(response)
        except httpx.HTTPError:
            raise OAuthError("unreachable") from None
        if response.status_code == 400 and data.get("error") == "use_dpop_nonce":
            continue
        if response.status_code >= 400:
            error = str(data.get("error", ""))[:40] or f"http_{response.status_code}"
            log.info("authorization server refused a request: %s", error)
        return response.status_code, data
    raise OAuthError("dpop_nonce")
