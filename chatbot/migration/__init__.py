"""Running the migration: background jobs that follow matches on Bluesky and Mastodon (issue 5)."""
