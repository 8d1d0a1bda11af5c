"""Bluesky OAuth as a confidential client (issue 16): connect without a password in the chat.

`/connect bluesky` sends a link (`flow.start`): the handle or DID is resolved to its PDS
and authorization server (`discovery`), a pushed authorization request (PAR) is made with
PKCE S256, a DPoP key and a client assertion signed with the bot's ES256 key
(`private_key_jwt`, keys in `keys`), and the pending approval is stored encrypted, bound to
the chat user (`states`). The user approves on their own server, which redirects to the
bot's web endpoint (`chatbot.web`); `flow.complete` checks the state (single use,
short-lived), exchanges the code, checks who approved and holds the tokens until the
one-time code its page shows comes back from the chat that asked (`codes`, `confirm`:
whoever approves may not be whoever asked); then they are stored encrypted in
`connected_accounts` (`tokens`). Jobs get an ordinary `atproto.AsyncClient` whose request
layer signs DPoP proofs and refreshes the tokens (`client`); `/disconnect` and `/forget`
revoke them at the authorization server.

Every outbound request goes through `http.oauth_http`, the one place to route through
the egress policy.
"""

from __future__ import annotations


class OAuthError(Exception):
    """An OAuth exchange failed; `reason` is short, safe to log and names the user message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


__all__ = ["OAuthError"]
