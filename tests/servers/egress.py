"""The egress allow-list of tests that talk to the local servers (all on loopback).

Production allows nothing internal (``CHATBOT_EGRESS_ALLOW`` empty); the local test
servers (AT Protocol dev-env, mastodon-mock, the fediverse and oEmbed stand-ins, the
fault proxy) listen on 127.0.0.1 (``localhost`` also resolves to ::1), so the tests that
use them allow exactly those, through the same setting production would use.
"""

from __future__ import annotations

from chatbot.config import Settings
from chatbot.networks.egress import Egress

LOCAL_ALLOW = ["127.0.0.1", "::1"]
LOCAL_ALLOW_ENV = ",".join(LOCAL_ALLOW)  # CHATBOT_EGRESS_ALLOW of subprocesses


def local_egress() -> Egress:
    """The policy of a reader built by hand in a test: the local servers only."""
    return Egress.allowing(LOCAL_ALLOW)


def allow_local(settings: Settings) -> Settings:
    """`settings` whose egress policy lets the bot reach the local test servers."""
    return settings.model_copy(update={"egress_allow": list(LOCAL_ALLOW)})
