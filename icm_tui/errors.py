"""The errors a user can meet, each with the exit status the CLI gives it."""

from __future__ import annotations


class IcmError(Exception):
    """Base of every error shown to the user as one line, never as a traceback."""

    exit_code = 1


class BadInput(IcmError):
    """Bad input: usage, invalid YAML, unknown ref, a forbidden transition (exit 2)."""

    exit_code = 2


class UnknownRef(BadInput):
    """A ref or uid that names no record."""


class LifecycleError(BadInput):
    """A transition the action lifecycle forbids."""


class StoreError(IcmError):
    """The store cannot be used: corrupt, unreadable, locked too long (exit 3)."""

    exit_code = 3
