"""ES256 keys, client assertions (private_key_jwt), DPoP proofs and PKCE, with joserfc.

Two kinds of keys: the bot's client keys (published in its JWKS, they prove the client's
identity to authorization servers) and one DPoP key per session (it binds the tokens to
the bot: a stolen access token is useless without it). They are never the same key.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from joserfc import jwt
from joserfc.jwk import ECKey

ALG = "ES256"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 60  # the reference server accepts assertions up to a minute old


def new_key() -> ECKey:
    return ECKey.generate_key("P-256", private=True)


def key_from_dict(data: dict[str, Any]) -> ECKey:
    key = ECKey.import_key(data)
    if not key.is_private or key.as_dict(private=False).get("crv") != "P-256":
        raise ValueError("not a private P-256 key")
    return key


def private_dict(key: ECKey) -> dict[str, Any]:
    return dict(key.as_dict(private=True))


def public_jwk(key: ECKey, kid: str) -> dict[str, Any]:
    """The public half, as published in the JWKS (never the private `d`)."""
    public = {k: v for k, v in key.as_dict(private=False).items() if k in ("kty", "crv", "x", "y")}
    return {**public, "kid": kid, "alg": ALG, "use": "sig"}


def thumbprint(key: ECKey) -> str:
    return str(key.thumbprint())


def client_assertion(key: ECKey, kid: str, client_id: str, audience: str) -> str:
    """A fresh JWT proving the client's identity to `audience` (the issuer); new jti each time."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": secrets.token_urlsafe(24),
        "iat": now,
        "exp": now + ASSERTION_LIFETIME_S,
    }
    return jwt.encode({"alg": ALG, "kid": kid, "typ": "JWT"}, claims, key)


def htu(url: str) -> str:
    """The DPoP `htu` claim: the request URL without query and fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def dpop_proof(
    key: ECKey, method: str, url: str, *, nonce: str | None = None, access_token: str | None = None
) -> str:
    """A DPoP proof for one request (RFC 9449), with the server's nonce when it gave one."""
    claims: dict[str, Any] = {
        "jti": secrets.token_urlsafe(24),
        "htm": method.upper(),
        "htu": htu(url),
        "iat": int(time.time()),
    }
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["ath"] = s256(access_token)
    header = {"alg": ALG, "typ": "dpop+jwt", "jwk": key.as_dict(private=False)}
    return jwt.encode(header, claims, key)


def s256(text: str) -> str:
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge); the verifier has 64 url-safe characters."""
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


class NonceCache:
    """The last DPoP nonce each server gave (by origin), so most requests need no retry.

    Bounded: the oldest origins are forgotten first. Nonces are not secrets.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._nonces: OrderedDict[str, str] = OrderedDict()

    def get(self, origin: str) -> str | None:
        return self._nonces.get(origin)

    def put(self, origin: str, nonce: str | None) -> None:
        if not nonce or len(nonce) > 512:
            return
        self._nonces[origin] = nonce
        self._nonces.move_to_end(origin)
        while len(self._nonces) > self._size:
            self._nonces.popitem(last=False)


NONCES = NonceCache()  # one per process: nonces are per server, not per user
