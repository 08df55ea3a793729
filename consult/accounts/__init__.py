"""Accounts: people, their passwords, sessions and API tokens."""
