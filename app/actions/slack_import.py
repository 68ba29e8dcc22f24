"""Importing a Slack export: its people, channels and messages become Parley's.

- People become accounts waiting to be claimed (app/actions/imported_accounts.py), shown as
  "alice (from Slack)"; a person whose address an account here has already confirmed is that
  account at once. Bots become bot accounts; deleted people keep their name and cannot be
  claimed (their address may belong to someone else by now).
- Channels become rooms (private channels private rooms, archived ones archived), their
  members the channel's `members`. Direct messages are skipped: a private conversation here
  is end-to-end encrypted, and the server cannot seal one for its members.
- Messages keep their author, time (`ts`), edit time, reactions (Slack's emoji names as our
  emoji; custom emoji are counted as skipped) and file links; a thread reply is linked to its
  thread's first message (attach_to_thread).

It streams: one day file is read at a time and stored in batches, each in one transaction,
so an export of any size takes the memory of its largest day. It is idempotent: a message is
stored as `client_msg_id` "slack:<channel id>:<ts>" under the (room, client_msg_id) unique
index, and people and rooms are found again through imported_ids, so running an export
twice, or a later export of the same workspace, adds only what is new.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from app.import_report import ImportReport
from app.models import ImportedId, Room, RoomKind, User
from app.realtime.publish import in_transaction
from app.slack_export import Channel, ExportLimits, SlackExport, UnreadableFile
from app.slack_messages import Author, Skipped, Translated, slack_time, translate

SOURCE, SERVICE = "slack", "Slack"
BATCH = 500  # messages per transaction
USERNAME_MAX, ROOM_NAME_MAX, TOPIC_MAX = 32, 80, 250
CLIENT_ID_MAX = 64
DEFAULT_LIMITS = ExportLimits()

Progress = Callable[[int, int, ImportReport], Awaitable[None]]


@dataclass(frozen=True)
class Person:
    """A Slack user id's account here."""

    id: int
    username: str
    is_bot: bool = False


async def import_slack_export(path: str, limits: ExportLimits = DEFAULT_LIMITS,
                              progress: Progress | None = None) -> ImportReport:
    """Import the export at `path`; InvalidInput (before writing anything) when it is refused.
    `progress(days done, days in all, report so far)` is awaited after each day file."""
    export = await asyncio.to_thread(SlackExport, path, limits)
    with export:
        users = await asyncio.to_thread(export.users)
        channels = await asyncio.to_thread(export.channels)
        report = ImportReport()
        people = await _import_people(users, report)
        importer = _DayImporter(export, people, channels, report)
        _skip_direct_messages(export, channels, report)
        total, done = sum(len(c.days) for c in channels), 0
        if progress:
            await progress(done, total, report)
        for channel in channels:
            room_id = await _import_room(channel, people, report)
            for day in channel.days:
                await importer.import_day(day, room_id, channel.id)
                done += 1
                if progress:
                    await progress(done, total, report)
            await _mark_history_read(room_id)
    return report


def check_slack_export(path: str, limits: ExportLimits = DEFAULT_LIMITS) -> int:
    """Refuse (InvalidInput) an export that cannot be imported, reading only its lists;
    returns how many day files it holds (blocking: run it in a thread)."""
    with SlackExport(path, limits) as export:
        export.users()
        return sum(len(channel.days) for channel in export.channels())


async def attach_to_thread(conn: BaseDBAsyncClient, room_id: int,
                           replies: list[tuple[str, str]]) -> int:
    """Put each reply (client id) in the thread of its thread's first message (client id): the
    one place a Slack thread is made into Parley's. The replies keep their place in the room's
    timeline too (as a reply sent to the room is), marked as thread replies, so the history
    reads as it did. Returns how many were linked."""
    if not replies:
        return 0
    rows = await conn.execute_query_dict(
        "UPDATE messages r SET thread_root_id = p.id, also_in_room = true "
        "FROM unnest($2::text[], $3::text[]) AS x(reply, parent), messages p "
        "WHERE r.room_id = $1 AND r.client_msg_id = x.reply "
        "AND p.room_id = $1 AND p.client_msg_id = x.parent RETURNING r.id",
        [room_id, [reply for reply, _ in replies], [parent for _, parent in replies]])
    return len(rows)


# -- people ------------------------------------------------------------------------------------

async def _import_people(users: list[dict[str, Any]], report: ImportReport) -> dict[str, Person]:
    known = await _known("user")
    accounts = {u.id: u for u in await User.filter(id__in=list(known.values()))}
    confirmed = await _confirmed_accounts(_email(u) for u in users)
    people: dict[str, Person] = {}
    for record in users:
        slack_id = record["id"]
        account = accounts.get(known.get(slack_id, 0))
        if account is None:
            account = await _new_account(record, confirmed, report)
            await _remember("user", slack_id, account.id)
        people[slack_id] = Person(account.id, account.username, account.is_bot)
        report.bots += account.is_bot
    return people


async def _new_account(record: dict[str, Any], confirmed: dict[str, User],
                       report: ImportReport) -> User:
    email = _email(record)
    if email in confirmed and not _is_bot(record):
        report.people_matched += 1
        return confirmed[email]
    deleted = bool(record.get("deleted"))
    if deleted and not _is_bot(record):
        report.skip("deleted Slack people: their messages keep their name; nobody can claim "
                    "their account")
    elif not _is_bot(record):
        report.people_created += 1
    return await User.create(
        username=_username(record), username_key=f"slack:{record['id']}"[:USERNAME_MAX],
        email="" if deleted or _is_bot(record) else email, password_hash="!",
        is_bot=_is_bot(record), imported_from=SERVICE)


async def _confirmed_accounts(emails: Iterable[str]) -> dict[str, User]:
    """Accounts here whose owners confirmed one of these addresses, by lower-cased address."""
    wanted = sorted({e for e in emails if e})
    if not wanted:
        return {}
    rows = await connections.get("default").execute_query_dict(
        "SELECT id FROM users WHERE lower(email) = ANY($1::text[]) AND email_verified_at IS NOT "
        "NULL AND imported_from IS NULL AND NOT is_bot ORDER BY id", [wanted])
    found = await User.filter(id__in=[r["id"] for r in rows]).order_by("id")
    return {user.email.lower(): user for user in reversed(found)}  # the oldest wins


def _is_bot(record: dict[str, Any]) -> bool:
    return bool(record.get("is_bot") or record.get("is_app_user")) or record["id"] == "USLACKBOT"


def _profile(record: dict[str, Any]) -> dict[str, Any]:
    profile = record.get("profile")
    return profile if isinstance(profile, dict) else {}


def _email(record: dict[str, Any]) -> str:
    email = _profile(record).get("email")
    return email.strip().lower() if isinstance(email, str) and "@" in email else ""


def _username(record: dict[str, Any]) -> str:
    """Slack's handle, as a name a mention can write ("alice.smith"); a bot keeps its own."""
    profile = _profile(record)
    name = str(record.get("name") or profile.get("display_name") or record["id"])
    if _is_bot(record):
        return " ".join(str(profile.get("real_name") or name).split())[:USERNAME_MAX] or "bot"
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "_.-") else "-" for c in name)
    cleaned = cleaned.lstrip("_.-")[:USERNAME_MAX]
    return cleaned if len(cleaned) >= 2 else f"slack-{record['id']}"[:USERNAME_MAX]


# -- rooms -------------------------------------------------------------------------------------

async def _import_room(channel: Channel, people: dict[str, Person], report: ImportReport) -> int:
    known = (await _known("room", [channel.id])).get(channel.id)
    room = await Room.get_or_none(id=known) if known else None
    if room is None:
        room = await _new_room(channel, people)
        await _remember("room", channel.id, room.id)
        report.rooms_created += 1
    else:
        report.rooms_found += 1
    members = channel.record.get("members")
    ids = {people[m].id for m in members if m in people and not people[m].is_bot} \
        if isinstance(members, list) else set()
    await connections.get("default").execute_query(
        "INSERT INTO memberships (room_id, user_id, joined_at, last_read_seq, involvement, "
        "email_held) SELECT $1, unnest($2::int[]), now(), 0, 'mentions', false "
        "ON CONFLICT (room_id, user_id) DO NOTHING", [room.id, sorted(ids)])
    return room.id


async def _new_room(channel: Channel, people: dict[str, Person]) -> Room:
    record = channel.record
    creator = people.get(str(record.get("creator")))
    archived = bool(record.get("is_archived"))
    return await Room.create(
        name=" ".join(channel.name.split())[:ROOM_NAME_MAX], topic=_topic(record),
        kind=RoomKind.PRIVATE if channel.private else RoomKind.PUBLIC,
        owner_id=creator.id if creator and not creator.is_bot else None,
        archived_at=datetime.now(UTC) if archived else None)


def _topic(record: dict[str, Any]) -> str:
    for key in ("topic", "purpose"):
        value = record.get(key)
        text = value.get("value") if isinstance(value, dict) else None
        if isinstance(text, str) and text.strip():
            return " ".join(text.split())[:TOPIC_MAX]
    return ""


async def _mark_history_read(room_id: int) -> None:
    """What happened on Slack was read there: the import leaves nobody hundreds of unreads."""
    await connections.get("default").execute_query(
        "UPDATE memberships m SET last_read_seq = r.last_seq FROM rooms r "
        "WHERE r.id = $1 AND m.room_id = r.id AND m.last_read_seq < r.last_seq", [room_id])


def _skip_direct_messages(export: SlackExport, channels: list[Channel],
                          report: ImportReport) -> None:
    folders = {channel.name for channel in channels}
    why = ("direct-message conversations: a private conversation here is end-to-end "
           "encrypted, and an import cannot seal one for its members")
    listed = 0
    for name in ("dms.json", "mpims.json"):
        try:
            listed += len(export.optional_list(name))
        except Exception:  # noqa: BLE001 - an unreadable list of what is skipped anyway
            continue
    others = len(export.folders() - folders)
    report.skip(why, max(listed, others))


# -- messages ----------------------------------------------------------------------------------

@dataclass
class _Row:
    client_id: str
    author_id: int
    message: Translated


class _DayImporter:
    """Reads day files and stores their messages, knowing the export's people and names."""

    def __init__(self, export: SlackExport, people: dict[str, Person], channels: list[Channel],
                 report: ImportReport) -> None:
        self.export, self.people, self.report = export, people, report
        self.names = {slack_id: p.username for slack_id, p in people.items()}
        self.names.update({c.id: c.name for c in channels})
        self.members = frozenset(p.username for p in people.values() if not p.is_bot)
        self.bots: dict[str, int] = {}

    async def import_day(self, day: str, room_id: int, channel_id: str) -> None:
        try:
            raw = await asyncio.to_thread(self.export.messages, day)
        except UnreadableFile as exc:
            self.report.skip(f"{exc}: that day's messages were skipped")
            return
        rows: list[_Row] = []
        for item in sorted(raw, key=_ts_key):
            row = await self._row(item, channel_id)
            if row is not None:
                rows.append(row)
        del raw
        for batch in _chunks(rows, BATCH):
            await _store(room_id, channel_id, batch, self.people, self.report)

    async def _row(self, item: Any, channel_id: str) -> _Row | None:
        translated = translate(item, self.members, self.names)
        if isinstance(translated, Skipped):
            self.report.skip(translated.reason)
            return None
        author_id = await self._author_id(translated.author)
        if author_id is None:
            self.report.skip("messages by someone missing from users.json")
            return None
        self.report.skip("reactions with a workspace's own emoji, which Parley does not have",
                         translated.skipped_reactions)
        return _Row(_client_id(channel_id, translated.ts), author_id, translated)

    async def _author_id(self, author: Author) -> int | None:
        if author.slack_id in self.people:
            return self.people[author.slack_id].id
        if not author.is_bot:
            return None
        if author.slack_id not in self.bots:
            self.bots[author.slack_id] = await _bot_account(author, self.report)
        return self.bots[author.slack_id]


async def _bot_account(author: Author, report: ImportReport) -> int:
    """A bot's account, made the first time one of its messages is seen (by its bot id)."""
    known = (await _known("bot", [author.slack_id])).get(author.slack_id)
    if known and await User.exists(id=known):
        return known
    bot = await User.create(username=author.bot_name, username_key=f"slack:{author.slack_id}"[:32],
                            email="", password_hash="!", is_bot=True, imported_from=SERVICE)
    await _remember("bot", author.slack_id, bot.id)
    report.bots += 1
    return bot.id


async def _store(room_id: int, channel_id: str, rows: list[_Row], people: dict[str, Person],
                 report: ImportReport) -> None:
    """One batch, one transaction: number the new messages under the room's lock, insert
    them, their reactions and their thread links; those stored before are left alone."""
    async with in_transaction() as conn:
        seq = (await conn.execute_query_dict(
            "SELECT last_seq FROM rooms WHERE id = $1 FOR UPDATE", [room_id]))[0]["last_seq"]
        stored = {r["client_msg_id"] for r in await conn.execute_query_dict(
            "SELECT client_msg_id FROM messages WHERE room_id = $1 "
            "AND client_msg_id = ANY($2::text[])", [room_id, [row.client_id for row in rows]])}
        new, seen = [], set(stored)
        for row in rows:
            if row.client_id not in seen:
                seen.add(row.client_id)
                new.append(row)
        report.messages_already += len(rows) - len(new)
        if not new:
            return
        ids = await _insert_messages(conn, room_id, seq, new)
        report.messages_imported += len(new)
        report.reactions_imported += await _insert_reactions(conn, ids, new, people)
        replies = [(row.client_id, _client_id(channel_id, row.message.thread_ts))
                   for row in new if row.message.thread_ts]
        linked = await attach_to_thread(conn, room_id, replies)
        report.replies_linked += linked
        report.skip("thread replies whose thread's first message is not in the export "
                    "(kept, not linked)", len(replies) - linked)


async def _insert_messages(conn: BaseDBAsyncClient, room_id: int, seq: int,
                           rows: list[_Row]) -> dict[str, int]:
    inserted = await conn.execute_query_dict(
        "INSERT INTO messages (room_id, author_id, seq, client_msg_id, body, created_at, "
        "edited_at, change_seq) SELECT $1, a, s, c, b, t, e, 0 FROM unnest($2::int[], "
        "$3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[]) "
        "AS x(a, s, c, b, t, e) RETURNING id, client_msg_id",
        [room_id, [r.author_id for r in rows], list(range(seq + 1, seq + 1 + len(rows))),
         [r.client_id for r in rows], [r.message.body for r in rows],
         [r.message.created_at for r in rows], [r.message.edited_at for r in rows]])
    newest = max(r.message.created_at for r in rows)
    await conn.execute_query(
        "UPDATE rooms SET last_seq = $2, last_message_at = greatest(last_message_at, $3) "
        "WHERE id = $1", [room_id, seq + len(rows), newest])
    return {r["client_msg_id"]: r["id"] for r in inserted}


async def _insert_reactions(conn: BaseDBAsyncClient, ids: dict[str, int], rows: list[_Row],
                            people: dict[str, Person]) -> int:
    given = [(ids[row.client_id], people[user].id, emoji, row.message.created_at)
             for row in rows for emoji, users in row.message.reactions
             for user in dict.fromkeys(users) if user in people]
    if not given:
        return 0
    inserted = await conn.execute_query_dict(
        "INSERT INTO reactions (message_id, user_id, emoji, created_at) "
        "SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::timestamptz[]) "
        "ON CONFLICT (message_id, user_id, emoji) DO NOTHING RETURNING id",
        [[g[0] for g in given], [g[1] for g in given], [g[2] for g in given],
         [g[3] for g in given]])
    return len(inserted)


# -- helpers -----------------------------------------------------------------------------------

async def _known(kind: str, external_ids: list[str] | None = None) -> dict[str, int]:
    query = ImportedId.filter(source=SOURCE, kind=kind)
    if external_ids is not None:
        query = query.filter(external_id__in=external_ids)
    return {row.external_id: row.local_id for row in await query}


async def _remember(kind: str, external_id: str, local_id: int) -> None:
    await ImportedId.update_or_create(defaults={"local_id": local_id}, source=SOURCE, kind=kind,
                                      external_id=external_id)


def _client_id(channel_id: str, ts: str) -> str:
    return f"slack:{channel_id}:{ts}"[:CLIENT_ID_MAX]


def _ts_key(item: Any) -> tuple[int, str]:
    ts = item.get("ts") if isinstance(item, dict) else None
    moment = slack_time(ts)
    return (0, ts) if moment is not None and isinstance(ts, str) else (1, "")


def _chunks(rows: list[_Row], size: int) -> Iterator[list[_Row]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
