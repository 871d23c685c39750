"""Errors a user can cause and fix: the CLI prints them as one line and exits non-zero."""


class UserError(Exception):
    """Bad input, a missing model, Label Studio down, a wrong token: never shown as a traceback."""


def first_line(exc: BaseException) -> str:
    """Library errors can span many lines; a user error is one."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
