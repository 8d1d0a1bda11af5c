"""Fixtures of the follow-job tests: the shared local servers (tests/servers/fixtures)."""

from tests.servers.fixtures import atproto_network, mastodon_server

__all__ = ["atproto_network", "mastodon_server"]
