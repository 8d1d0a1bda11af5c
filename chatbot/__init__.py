"""The migration bot: helps people and organisations leave X for Bluesky and Mastodon."""

__version__ = "0.1.0"
