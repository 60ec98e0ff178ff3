"""Accounts, passwords, sessions, sign-in throttling and roles."""
