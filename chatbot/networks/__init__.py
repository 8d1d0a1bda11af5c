"""Clients of the new networks (Bluesky, Mastodon) and of X's public oEmbed endpoint."""
