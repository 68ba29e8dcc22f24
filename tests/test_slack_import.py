"""Moving a team over from Slack: an export's channels, messages and people become Parley's,
from the admin page or `python -m app import-slack`, once, with what was skipped said."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from quart import Quart

from app.actions.slack_import import import_slack_export
from app.errors import InvalidInput
from app.models import ImportRun, Membership, Message, Reaction, Room, RoomKind, User
from app.slack_export import ExportLimits
from config.settings import ROOT, attach, settings_of
from tests.helpers import WAIT, Person, select, select_one, upload
from tests.mailbox import SmtpServer, eventually
from tests.slack_export import T0, large_export, sample_export, ts, write_zip

PASSWORD = "correct horse battery"


def _client_id(channel: str, stamp: str) -> str:
    return f"slack:{channel}:{stamp}"


async def _message(channel: str, stamp: str) -> Message:
    return await Message.get(client_msg_id=_client_id(channel, stamp)).prefetch_related("author")


async def _import(tmp_path: Path, **changes: object) -> object:
    return await import_slack_export(str(sample_export(tmp_path / "export.zip", **changes)))


# -- what an export becomes --------------------------------------------------------------------

async def test_channels_become_rooms_public_private_and_archived(app: Quart, alice: Person,
                                                                  tmp_path: Path) -> None:
    report = await _import(tmp_path)

    general = await Room.get(name="general")
    leads = await Room.get(name="leads")
    old = await Room.get(name="old-project")
    assert (general.kind, general.topic, general.archived_at) == \
        (RoomKind.PUBLIC, "Company-wide announcements", None)
    assert leads.kind == RoomKind.PRIVATE and leads.topic == "Only leads"
    assert old.archived_at is not None and old.topic == "The project we finished"
    members = await Membership.filter(room_id=general.id).prefetch_related("user")
    assert sorted(m.user.username for m in members) == ["alice", "bob", "dave"]  # no bot
    assert report.rooms_created == 3  # type: ignore[attr-defined]


async def test_messages_keep_their_authors_times_edits_and_formatting(
        app: Quart, alice: Person, tmp_path: Path) -> None:
    await _import(tmp_path)

    welcome = await _message("C01GENERAL", ts(60))
    lunch = await _message("C01GENERAL", ts(180))
    carols = await _message("C01GENERAL", ts(360))

    assert welcome.author_id == alice.user_id  # her address here is confirmed: hers at once
    assert lunch.author.display_name == "dave (from Slack)"
    assert welcome.created_at == datetime.fromtimestamp(T0 + 60, UTC)
    assert welcome.body == ("Welcome **everyone**, @bob has the [plan](<https://example.com/plan>)"
                            " in #general")
    assert lunch.edited_at == datetime.fromtimestamp(T0 + 240, UTC)
    assert carols.author.display_name == "carol (from Slack)"  # a deleted person keeps the name
    seqs = [m.seq for m in await Message.filter(room__name="general").order_by("created_at")]
    assert seqs == sorted(seqs)  # numbered in the order they were written


async def test_reactions_map_to_our_emoji_and_custom_ones_are_reported(
        app: Quart, alice: Person, tmp_path: Path) -> None:
    report = await _import(tmp_path)

    welcome = await _message("C01GENERAL", ts(60))
    given = await Reaction.filter(message_id=welcome.id).prefetch_related("user")

    assert sorted((r.emoji, r.user.username) for r in given) == \
        [("👋🏼", "bob"), ("👍", "bob"), ("👍", "dave")]
    assert any("own emoji" in reason for reason in report.skipped)  # type: ignore[attr-defined]


async def test_thread_replies_are_linked_to_the_thread_and_files_become_links(
        app: Quart, alice: Person, tmp_path: Path) -> None:
    await _import(tmp_path)

    parent = await _message("C01GENERAL", ts(60))
    same_day = await _message("C01GENERAL", ts(120))
    next_day = await _message("C01GENERAL", ts(86400))
    report_file = await _message("C01GENERAL", ts(300))
    gone_file = await _message("C01GENERAL", ts(86460))

    assert same_day.thread_root_id == parent.id and next_day.thread_root_id == parent.id
    assert same_day.also_in_room and next_day.also_in_room  # still in the room's history
    assert "[Q1 report](<https://files.slack.com/files-pri/T01-F01/q1-report.pdf>)" \
        in report_file.body
    assert "did not export" in gone_file.body


async def test_bots_post_as_bot_accounts_nobody_can_claim(app: Quart, alice: Person,
                                                           tmp_path: Path) -> None:
    await _import(tmp_path)

    ci = await _message("C01GENERAL", ts(420))
    deploy = await _message("C01GENERAL", ts(480))

    assert ci.author.is_bot and ci.author.display_name == "ci (from Slack)"
    assert ci.body == "Build **passed** on main"
    assert deploy.author.is_bot and deploy.author.email == ""


async def test_the_report_says_what_was_skipped_and_why(app: Quart, alice: Person,
                                                        tmp_path: Path) -> None:
    report = await _import(tmp_path)

    skipped = dict(report.skipped)  # type: ignore[attr-defined]
    assert any(r.startswith("“channel_join” messages") for r in skipped)
    assert any(r.startswith("“channel_leave” messages") for r in skipped)
    assert any(r.startswith("“channel_topic” messages") for r in skipped)
    assert [count for r, count in skipped.items() if "direct-message" in r] == [1]
    assert not await Message.filter(body="psst").exists()  # the DM
    assert report.messages_imported == 11  # type: ignore[attr-defined]


async def test_running_the_same_export_again_duplicates_nothing(app: Quart, alice: Person,
                                                                tmp_path: Path) -> None:
    await _import(tmp_path)
    counts = (await Message.all().count(), await Reaction.all().count(),
              await Room.all().count(), await User.all().count(),
              await Membership.all().count())

    again = await _import(tmp_path)

    assert (await Message.all().count(), await Reaction.all().count(),
            await Room.all().count(), await User.all().count(),
            await Membership.all().count()) == counts
    assert again.messages_imported == 0 and again.messages_already == 11  # type: ignore[attr-defined]
    assert again.rooms_found == 3 and again.rooms_created == 0  # type: ignore[attr-defined]


async def test_a_later_export_adds_only_the_new_messages(app: Quart, alice: Person,
                                                         tmp_path: Path) -> None:
    await _import(tmp_path)
    day3 = [{"type": "message", "user": "U02BOB", "ts": ts(172800), "text": "Day three"}]

    later = await _import(tmp_path, **{"general/2024-03-03.json": day3})

    assert later.messages_imported == 1  # type: ignore[attr-defined]
    assert (await _message("C01GENERAL", ts(172800))).author.display_name == "bob (from Slack)"


# -- claiming an account -----------------------------------------------------------------------

async def test_confirming_the_slack_address_at_sign_up_makes_the_messages_yours(
        app: Quart, alice: Person, tmp_path: Path, smtp: SmtpServer) -> None:
    await _import(tmp_path)
    room = await Room.get(name="general")
    before = await (await alice.get(f"/rooms/{room.id}")).get_data()
    bob = Person(app, "bob")
    await bob.sign_up(verified=False)  # the same address, in another case
    unconfirmed = (await _message("C01GENERAL", ts(120))).author.display_name

    await eventually(lambda: smtp.inbox.to("bob@example.com"))
    link = select_one(smtp.inbox.to("bob@example.com")[0].html, "a.verify")["href"]
    path = link.removeprefix("http://parley.test")
    assert (await bob.post(path)).status_code == 200

    reply = await _message("C01GENERAL", ts(120))
    assert "bob (from Slack)" in [a.text for a in select(before, ".message .author")]
    assert unconfirmed == "bob (from Slack)"  # typing an address proves nothing
    assert reply.author_id == bob.user_id and reply.author.display_name == "bob"
    assert not await User.filter(imported_from="Slack", username="bob").exists()
    assert await Membership.exists(room__name="leads", user_id=bob.user_id)
    assert await Reaction.filter(user_id=bob.user_id).count() == 2
    page = await (await bob.get(f"/rooms/{room.id}")).get_data()
    authors = [a.text for a in select(page, ".message .author")]
    assert "bob" in authors and "bob (from Slack)" not in authors


async def test_an_account_already_confirmed_gets_its_slack_messages_at_once(
        app: Quart, alice: Person, tmp_path: Path) -> None:
    report = await _import(tmp_path)  # alice@example.com is alice's confirmed address

    welcome = await _message("C01GENERAL", ts(60))

    assert welcome.author_id == alice.user_id
    assert report.people_matched == 1  # type: ignore[attr-defined]
    assert await Membership.exists(room__name="leads", user_id=alice.user_id)


async def test_a_deleted_slack_person_cannot_be_claimed(app: Quart, alice: Person,
                                                        tmp_path: Path) -> None:
    await _import(tmp_path)
    carol = Person(app, "carol")

    await carol.sign_up()  # carol@example.com, confirmed

    assert (await _message("C01GENERAL", ts(360))).author.display_name == "carol (from Slack)"


async def test_unclaimed_accounts_cannot_log_in_and_are_found_by_nobody(
        app: Quart, alice: Person, tmp_path: Path) -> None:
    await _import(tmp_path)
    stranger = Person(app, "dave")

    logins = [await stranger.post("/login", {"username": name, "password": PASSWORD})
              for name in ("dave", "slack:U04DAVE")]
    search = await (await alice.get("/users/search?q=da")).get_data(as_text=True)
    contacts = await (await alice.get("/dm")).get_data(as_text=True)
    admin = await (await alice.get("/admin")).get_data()

    assert [r.status_code for r in logins] == [400, 400]
    assert "dave" not in search
    assert "dave" not in contacts
    assert "dave" not in [n.text for n in select(admin, ".people-list .name")]
    room = await Room.get(name="general")
    page = await (await alice.get(f"/rooms/{room.id}")).get_data()
    assert "dave (from Slack)" not in [n.text for n in select(page, ".member-name")]  # no @ pick
    assert "dave (from Slack)" in [n.text for n in select(page, ".imported-name")]


# -- the admin page ----------------------------------------------------------------------------

async def _upload(person: Person, data: bytes, filename: str = "export.zip") -> object:
    return await person.post("/admin/slack-imports", files={"export": upload(data, filename)})


async def _finished(run_id: int) -> ImportRun:
    async def done() -> bool:
        return (await ImportRun.get(id=run_id)).status != "running"
    for _ in range(int(WAIT * 10)):
        if await done():
            return await ImportRun.get(id=run_id)
        await asyncio.sleep(0.1)
    raise AssertionError("the import did not finish")


async def test_an_admin_uploads_an_export_and_sees_progress_then_the_report(
        app: Quart, alice: Person, tmp_path: Path) -> None:
    data = sample_export(tmp_path / "export.zip").read_bytes()

    response = await _upload(alice, data)
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    await _finished(run_id)
    page = await (await alice.get(f"/admin/slack-imports/{run_id}")).get_data()
    fragment = await (await alice.get(f"/admin/slack-imports/{run_id}",
                                      headers={"HX-Request": "true"})).get_data()

    assert response.status_code == 303
    assert select_one(page, "#import-progress")["data-status"] == "done"
    assert "11 imported" in select_one(page, ".import-summary").text
    assert any("channel_join" in li.text for li in select(page, ".import-skipped li"))
    assert select_one(fragment, "#import-progress .import-bar")["value"] == "100"
    assert not list(settings_of(app).var_dir.joinpath("imports").glob("*.zip"))  # deleted


async def test_a_running_import_polls_every_second_and_links_a_refresh(
        app: Quart, alice: Person) -> None:
    admin = await User.get(id=alice.user_id)
    run = await ImportRun.create(source="slack", file_name="x.zip", started_by=admin,
                                 days_total=10, days_done=4)

    page = await (await alice.get(f"/admin/slack-imports/{run.id}")).get_data()

    progress = select_one(page, "#import-progress")
    assert progress["hx-trigger"] == "every 1s"
    assert select_one(page, ".import-bar")["value"] == "40"
    assert select_one(page, "a.refresh-link")["href"] == f"/admin/slack-imports/{run.id}"


async def test_only_an_administrator_may_import(app: Quart, alice: Person, bob: Person,
                                                tmp_path: Path) -> None:
    data = sample_export(tmp_path / "export.zip").read_bytes()

    response = await _upload(bob, data)

    assert response.status_code == 403
    assert not await Room.exists(name="leads")


async def test_an_upload_without_the_form_token_is_refused(app: Quart, alice: Person,
                                                           tmp_path: Path) -> None:
    data = sample_export(tmp_path / "export.zip").read_bytes()

    response = await alice.client.post("/admin/slack-imports",
                                       files={"export": upload(data, "export.zip")})

    assert response.status_code == 403
    assert not await Room.exists(name="leads")


@pytest.mark.parametrize(("members", "says"), [
    ({"users.json": "[{]"}, "users.json is not valid JSON"),
    ({"channels.json": '{"not": "a list"}'}, "channels.json is not a list"),
    ({"../../etc/evil.json": "[]"}, "leaves the export"),
    ({"/abs/evil.json": "[]"}, "leaves the export"),
    ({"channels.json": None}, "no channels.json"),
])
async def test_a_broken_export_is_refused_saying_why(app: Quart, alice: Person, tmp_path: Path,
                                                    members: dict[str, object], says: str) -> None:
    data = sample_export(tmp_path / "export.zip", **members).read_bytes()

    response = await _upload(alice, data)

    assert response.status_code == 400
    assert says in select_one(await response.get_data(), "#export-error").text
    assert not await Room.exists(name="general")


async def test_an_export_over_the_upload_limit_is_refused_pointing_to_the_command(
        app: Quart, alice: Person) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        response = await _upload(alice, b"PK" + b"x" * 10_000)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit

    assert response.status_code == 413
    assert "python -m app import-slack" in select_one(await response.get_data(),
                                                      "#export-error").text


async def test_a_file_that_is_not_a_zip_is_refused(app: Quart, alice: Person) -> None:
    response = await _upload(alice, b"%PDF-1.7 not a zip", "export.zip")

    assert response.status_code == 400
    assert "not a zip" in select_one(await response.get_data(), "#export-error").text


async def test_a_zip_bomb_is_refused_unread(app: Quart, alice: Person, tmp_path: Path) -> None:
    bomb = sample_export(tmp_path / "bomb.zip", **{"general/2024-03-05.json": b"0" * 30_000_000})
    many = sample_export(tmp_path / "many.zip",
                         **{f"general/2020-01-{n:02d}.json": "[]" for n in range(1, 29)})
    before = settings_of(app)
    attach(app, replace(before, import_max_bytes=20_000_000, import_max_files=30))
    try:
        too_big = await _upload(alice, bomb.read_bytes())
        too_many = await _upload(alice, many.read_bytes())
    finally:
        attach(app, before)

    assert bomb.stat().st_size < 1_000_000  # small packed, 30 MB unpacked
    assert too_big.status_code == 400 and too_many.status_code == 400
    assert re.search(r"unpacks to 28\.\d MiB; an export may unpack to at most 19\.1 MiB",
                     select_one(await too_big.get_data(), "#export-error").text)
    assert "holds 37 files" in select_one(await too_many.get_data(), "#export-error").text


async def test_an_unreadable_day_is_skipped_and_named_in_the_report(
        app: Quart, alice: Person, tmp_path: Path) -> None:
    report = await _import(tmp_path, **{"general/2024-03-02.json": "[{oops"})

    assert any(r.startswith("general/2024-03-02.json is not valid JSON (line 1")
               for r in report.skipped)  # type: ignore[attr-defined]
    assert await Message.filter(room__name="general").count() == 7


async def test_the_action_refuses_too_many_files_before_writing(app: Quart, alice: Person,
                                                                tmp_path: Path) -> None:
    path = sample_export(tmp_path / "export.zip")

    with pytest.raises(InvalidInput, match="at most 3"):
        await import_slack_export(str(path), ExportLimits(max_members=3))

    assert not await Room.exists(name="general")


# -- the command line --------------------------------------------------------------------------

def _command(database_url: str, var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "VAR_DIR": str(var_dir)}
    return subprocess.run([sys.executable, "-m", "app", "import-slack", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)


async def test_the_command_imports_and_prints_progress_and_the_report(
        app: Quart, alice: Person, database_url: str, tmp_path: Path) -> None:
    path = sample_export(tmp_path / "export.zip")

    done = await asyncio.to_thread(_command, database_url, tmp_path, str(path))

    assert done.returncode == 0, done.stdout + done.stderr
    assert "4/4 days (100%)" in done.stdout
    assert "Messages: 11 imported" in done.stdout
    assert "“channel_join” messages" in done.stdout
    assert (await _message("C01GENERAL", ts(60))).author_id == alice.user_id


async def test_the_command_refuses_a_broken_export_saying_which_file(
        app: Quart, alice: Person, database_url: str, tmp_path: Path) -> None:
    path = sample_export(tmp_path / "export.zip", **{"users.json": "[1, 2"})

    done = await asyncio.to_thread(_command, database_url, tmp_path, str(path))

    assert done.returncode == 1
    assert "Refused: users.json is not valid JSON" in done.stdout


def _peak_rss_of_import(database_url: str, var_dir: Path, path: Path) -> int:
    """The import command's peak resident memory, in KiB (its own, from wait4's rusage)."""
    env = {**os.environ, "DATABASE_URL": database_url, "VAR_DIR": str(var_dir)}
    process = subprocess.Popen([sys.executable, "-m", "app", "import-slack", str(path)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0
    return usage.ru_maxrss


async def test_a_large_export_imports_in_bounded_memory(app: Quart, alice: Person,
                                                        database_url: str,
                                                        tmp_path: Path) -> None:
    small = large_export(tmp_path / "small.zip", 5_000)
    large = large_export(tmp_path / "large.zip", 50_000)

    small_peak = await asyncio.to_thread(_peak_rss_of_import, database_url, tmp_path, small)
    await Message.all().delete()  # the same ids again: imported afresh, not found
    large_peak = await asyncio.to_thread(_peak_rss_of_import, database_url, tmp_path, large)

    print(f"\npeak RSS: {small_peak / 1024:.1f} MiB for 5,000 messages, "
          f"{large_peak / 1024:.1f} MiB for 50,000 ({large.stat().st_size / 1024**2:.1f} MiB "
          "zipped)")
    assert await Message.all().count() == 50_000
    assert large_peak - small_peak < 32 * 1024  # ten times the messages, not the memory


def test_the_export_fixture_is_a_zip_slack_would_make(tmp_path: Path) -> None:
    path = sample_export(tmp_path / "export.zip")

    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        users = json.loads(archive.read("users.json"))

    assert {"users.json", "channels.json", "groups.json", "general/2024-03-01.json"} <= names
    assert {u["name"] for u in users if u.get("deleted")} == {"carol"}


def test_write_zip_keeps_bytes_as_they_are(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "x.zip", {"a.json": b"\x00\x01"})

    with zipfile.ZipFile(path) as archive:
        assert archive.read("a.json") == b"\x00\x01"
