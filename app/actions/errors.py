"""Errors actions raise for input a user can fix; routes show them next to the form."""

from __future__ import annotations


class InvalidInput(Exception):
    """Bad input: `errors` maps a form field to a message meant for the person who typed it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class Conflict(Exception):
    """The request clashes with existing state (e.g. a client message id used by someone else)."""


class Forbidden(Exception):
    """The action is not allowed for this person; the message says why, in plain words."""
