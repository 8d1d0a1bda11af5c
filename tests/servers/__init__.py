"""Managers for the real local servers the end-to-end tests run against."""
