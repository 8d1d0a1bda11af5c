"""Fixtures of the network-reader tests: the shared local servers (tests/servers/fixtures)."""

from tests.servers.fixtures import (
    atproto_network,
    mastodon_server,
    mastodon_server_ratelimited,
)

__all__ = ["atproto_network", "mastodon_server", "mastodon_server_ratelimited"]

from tests.networks.live_setup import bob_proofs, files, live, mastodon_live, world

__all__ += ["bob_proofs", "files", "live", "mastodon_live", "world"]
