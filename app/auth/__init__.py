"""Accounts: sign-in, sign-out, password change and role checks."""
