"""Slack workspace exports for tests, in the format Slack documents ("How to read Slack data
exports"): users.json, channels.json, groups.json, dms.json, and a folder per conversation
with a JSON file of messages per day.

`sample_export(path)` writes a small workspace with every case the importer handles: people,
a deleted person, a bot user and a bot_message bot, a public, a private and an archived
channel, several days, a thread (replies on the same and the next day), an edit, reactions
(one a custom emoji), a file, a file Slack did not keep, join and topic notices and a DM.
`large_export(path, messages)` writes a big one day by day, never holding it in memory.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

T0 = 1709287200  # 2024-03-01 10:00:00 UTC


def ts(seconds: int, counter: int = 0) -> str:
    """A Slack timestamp: seconds since the epoch, then a 6-digit counter."""
    return f"{T0 + seconds}.{counter:06d}"


def user(slack_id: str, name: str, email: str | None, **extra: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {"real_name": name.title(), "display_name": name}
    if email:
        profile["email"] = email
    return {"id": slack_id, "team_id": "T01", "name": name, "deleted": False, "is_bot": False,
            "profile": profile, **extra}


USERS = [
    user("U01ALICE", "alice", "alice@example.com"),
    user("U02BOB", "bob", "Bob@Example.com"),
    user("U03CAROL", "carol", "carol@example.com", deleted=True),
    user("U04DAVE", "dave", "dave@example.com"),
    user("U05DEPLOY", "deploybot", None, is_bot=True),
]

CHANNELS = [
    {"id": "C01GENERAL", "name": "general", "created": T0 - 86400, "creator": "U01ALICE",
     "is_archived": False, "is_general": True,
     "members": ["U01ALICE", "U02BOB", "U04DAVE", "U05DEPLOY"],
     "topic": {"value": "Company-wide announcements", "creator": "U01ALICE", "last_set": 0},
     "purpose": {"value": "", "creator": "", "last_set": 0}},
    {"id": "C02OLD", "name": "old-project", "created": T0 - 86400 * 90, "creator": "U02BOB",
     "is_archived": True, "is_general": False, "members": ["U02BOB"],
     "topic": {"value": "", "creator": "", "last_set": 0},
     "purpose": {"value": "The project we finished", "creator": "U02BOB", "last_set": 0}},
]

GROUPS = [
    {"id": "G01SECRET", "name": "leads", "created": T0 - 86400, "creator": "U01ALICE",
     "is_archived": False, "members": ["U01ALICE", "U02BOB"],
     "topic": {"value": "Only leads", "creator": "U01ALICE", "last_set": 0},
     "purpose": {"value": "", "creator": "", "last_set": 0}},
]

DMS = [{"id": "D01ALICEBOB", "created": T0, "members": ["U01ALICE", "U02BOB"]}]

GENERAL_DAY_1 = [
    {"type": "message", "subtype": "channel_join", "user": "U04DAVE", "ts": ts(0),
     "text": "<@U04DAVE> has joined the channel"},
    {"type": "message", "user": "U01ALICE", "ts": ts(60), "client_msg_id": "a1",
     "text": "Welcome *everyone*, <@U02BOB> has the <https://example.com/plan|plan> in <#C01GENERAL>",
     "thread_ts": ts(60), "reply_count": 2, "replies": [{"user": "U02BOB", "ts": ts(120)}],
     "reactions": [{"name": "thumbsup", "users": ["U02BOB", "U04DAVE"], "count": 2},
                   {"name": "wave::skin-tone-3", "users": ["U02BOB"], "count": 1},
                   {"name": "partyparrot", "users": ["U04DAVE"], "count": 1}]},
    {"type": "message", "user": "U02BOB", "ts": ts(120), "thread_ts": ts(60),
     "parent_user_id": "U01ALICE", "text": "Thanks, reading it now"},
    {"type": "message", "user": "U04DAVE", "ts": ts(180), "text": "Lunch at noon?",
     "edited": {"user": "U04DAVE", "ts": ts(240)}},
    {"type": "message", "user": "U02BOB", "ts": ts(300), "text": "Here is the report",
     "files": [{"id": "F01", "name": "q1-report.pdf", "title": "Q1 report",
                "mimetype": "application/pdf",
                "url_private": "https://files.slack.com/files-pri/T01-F01/q1-report.pdf",
                "permalink": "https://acme.slack.com/files/U02BOB/F01/q1-report.pdf"}]},
    {"type": "message", "user": "U03CAROL", "ts": ts(360), "text": "Bye all, last day!"},
    {"type": "message", "subtype": "bot_message", "bot_id": "B01CI", "username": "ci",
     "ts": ts(420), "text": "Build *passed* on main"},
    {"type": "message", "user": "U05DEPLOY", "bot_id": "B02DEPLOY", "ts": ts(480),
     "text": "Deployed v1.2"},
    {"type": "message", "subtype": "channel_topic", "user": "U01ALICE", "ts": ts(540),
     "text": "set the channel topic: Company-wide announcements"},
]

GENERAL_DAY_2 = [
    {"type": "message", "user": "U01ALICE", "ts": ts(86400), "thread_ts": ts(60),
     "parent_user_id": "U01ALICE", "text": "Following up on this"},
    {"type": "message", "user": "U02BOB", "ts": ts(86460), "text": "A file that is gone",
     "files": [{"id": "F02", "mode": "tombstone"}]},
    {"type": "message", "subtype": "channel_leave", "user": "U04DAVE", "ts": ts(86520),
     "text": "<@U04DAVE> has left the channel"},
]


def sample_export(path: Path, **changes: Any) -> Path:
    """Write the sample workspace to `path` (a .zip); `changes` replace or add members by
    name (a str or bytes value), or drop them (None)."""
    members: dict[str, Any] = {
        "users.json": USERS, "channels.json": CHANNELS, "groups.json": GROUPS,
        "dms.json": DMS,
        "general/2024-03-01.json": GENERAL_DAY_1,
        "general/2024-03-02.json": GENERAL_DAY_2,
        "old-project/2023-12-01.json": [
            {"type": "message", "user": "U02BOB", "ts": ts(-86400 * 90),
             "text": "Shipping the old project"}],
        "leads/2024-03-01.json": [
            {"type": "message", "user": "U01ALICE", "ts": ts(90), "text": "Budget talk here"}],
        "D01ALICEBOB/2024-03-01.json": [
            {"type": "message", "user": "U01ALICE", "ts": ts(30), "text": "psst"}],
    }
    members.update(changes)
    return write_zip(path, {name: value for name, value in members.items() if value is not None})


def write_zip(path: Path, members: dict[str, Any]) -> Path:
    """A zip of these members: JSON-able values as JSON, str and bytes as they are."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in members.items():
            archive.writestr(name, value if isinstance(value, (str, bytes)) else json.dumps(value))
    return path


def large_export(path: Path, messages: int, per_day: int = 500) -> Path:
    """A one-channel export of `messages` messages, `per_day` a day, written a day at a time;
    every tenth message has a reaction, every fiftieth is a thread reply."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("users.json", json.dumps(USERS[:2]))
        archive.writestr("channels.json", json.dumps([{**CHANNELS[0],
                                                       "members": ["U01ALICE", "U02BOB"]}]))
        for day, start in enumerate(range(0, messages, per_day)):
            rows = [_numbered(n) for n in range(start, min(start + per_day, messages))]
            archive.writestr(f"general/{_date(day)}.json", json.dumps(rows))
    return path


def _numbered(n: int) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "message", "user": ("U01ALICE", "U02BOB")[n % 2],
                               "ts": ts(n * 7, n % 1000),
                               "text": f"Message number {n}: *some* words about <@U02BOB> "
                                       "and a <https://example.com/x|link> to read."}
    if n % 10 == 0:
        message["reactions"] = [{"name": "tada", "users": ["U02BOB"], "count": 1}]
    if n % 50 == 49:
        message["thread_ts"] = ts((n - 1) * 7, (n - 1) % 1000)
    return message


def _date(day: int) -> str:
    from datetime import date, timedelta

    return (date(2024, 3, 1) + timedelta(days=day)).isoformat()
