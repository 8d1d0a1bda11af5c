"""The user's own Bluesky and Mastodon accounts, connected through the chat (issue 5).

`bluesky.bluesky_client` and `mastodon.mastodon_client` give jobs an authenticated client
restored from the encrypted secret kept in `AccountStore`; the connect flows live in
the same modules. Chat handlers see only the exceptions below, never an SDK's.
"""

from __future__ import annotations


class AccountError(Exception):
    """A connected account cannot be used right now."""


class AccountExpired(AccountError):
    """The stored session or token no longer works: the user must /connect again."""

    def __init__(self, network: str) -> None:
        super().__init__(f"the {network} account must be connected again")
        self.network = network


class ServiceUnavailable(AccountError):
    """The PDS or the instance did not answer (down, or a network error); try later."""

    def __init__(self, network: str) -> None:
        super().__init__(f"{network} did not answer")
        self.network = network


class ConnectFailed(Exception):
    """Connecting failed for a reason the user can act on; `reason` names the message and
    `params` fills its placeholders (e.g. the server's software).

    Bluesky: ``unknown_handle``, ``wrong_password``, ``email_refused`` (the entryway did
    not log this e-mail address in), ``pds_mismatch`` (the session's DID document names
    another PDS), ``main_password``. Mastodon: ``bad_instance``, ``http_refused``,
    ``not_mastodon``, ``unsupported_software``, ``app_refused``, ``app_closed``,
    ``scope_refused``, ``no_oob``, ``wrong_code``, ``expired``. Both: ``rate_limited``,
    ``service_down``.
    """

    def __init__(self, reason: str, **params: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


__all__ = ["AccountError", "AccountExpired", "ConnectFailed", "ServiceUnavailable"]
