"""The server's runs of messages (app/rendering.py timeline()): one header per author's run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from app.rendering import timeline

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _message(author_id: int, minute: int, deleted: bool = False) -> SimpleNamespace:
    return SimpleNamespace(author_id=author_id, created_at=START + timedelta(minutes=minute),
                           deleted_at=START if deleted else None)


def test_a_deleted_message_stays_in_its_author_s_run_and_keeps_it_together() -> None:
    messages = [_message(1, 0), _message(1, 1, deleted=True), _message(1, 2)]

    assert [entry.continued for entry in timeline(messages)] == [False, True, True]


def test_another_author_or_a_long_pause_starts_a_new_run() -> None:
    messages = [_message(1, 0), _message(2, 1), _message(2, 2), _message(2, 8)]

    assert [entry.continued for entry in timeline(messages)] == [False, False, True, False]
