"""Turning archived tweets into Bluesky posts: text and facets, record keys, images."""
