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
    """Connecting failed for a reason the user can act on; `reason` names the message.

    Reasons: ``unknown_handle``, ``wrong_password``, ``main_password``, ``rate_limited``,
    ``service_down``, ``bad_instance``, ``http_refused``, ``not_mastodon``,
    ``app_refused``, ``no_oob``, ``wrong_code``, ``expired``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


__all__ = ["AccountError", "AccountExpired", "ConnectFailed", "ServiceUnavailable"]
