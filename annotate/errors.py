"""Errors a user can cause and fix: the CLI prints them as one line and exits non-zero."""


class UserError(Exception):
    """Bad input, a missing model, Label Studio down, a wrong token: never shown as a traceback."""
