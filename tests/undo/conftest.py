"""Fixtures of the undo tests: the shared local servers, and the bot of tests/accounts."""

from tests.accounts.conftest import atproto_settings, bot, mastodon_settings
from tests.servers.fixtures import atproto_network, mastodon_server

__all__ = ["atproto_network", "atproto_settings", "bot", "mastodon_server", "mastodon_settings"]
