"""Fixtures of the post-import tests: the shared local AT Protocol network, the test bot."""

from tests.accounts.conftest import atproto_settings, bot
from tests.servers.fixtures import atproto_network

__all__ = ["atproto_network", "atproto_settings", "bot"]
