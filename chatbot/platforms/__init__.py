"""Chat platforms. Only the adapters in this package may import a chat SDK."""
