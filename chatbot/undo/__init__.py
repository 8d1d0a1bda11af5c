"""/undo: take back what the bot did on the user's accounts, from its own logs."""
