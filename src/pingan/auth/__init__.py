"""Accounts, roles, permissions, data scopes, browser sessions and API tokens."""
