"""The README's backup, restore and "move to a separate PostgreSQL" commands, run as written.

Each `sh` block of README.md whose first line is `# embedded: ...` is run by /bin/sh in a work
folder, with VAR_DIR (and DATABASE_URL where the block needs it) set, against a real server.
The move is run into a second embedded PostgreSQL 18 and into an older server (the machine's
PostgreSQL 15 at OLDER_POSTGRES_URL; skipped, saying why, when none answers there).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.database import throwaway_postgres, with_database
from tests.helpers import WAIT, select, select_one
from tests.images import still
from tests.remote import RemoteUser
from tests.server import ROOT, running_server

ENV = {"DATABASE_URL": "", "MAIL_POLL_SECONDS": "0.1"}
OLDER_POSTGRES_URL = os.environ.get("OLDER_POSTGRES_URL",
                                    "postgresql://postgres@127.0.0.1:5432/postgres")
BLOCK = re.compile(r"^```sh\n# (embedded: [^\n]+)\n(.*?)^```", re.M | re.S)


def readme_block(name: str) -> str:
    """The commands of the README block whose first line is `# embedded: <name>`."""
    blocks = {title: body for title, body in BLOCK.findall((ROOT / "README.md").read_text())}
    return blocks[f"embedded: {name}"]


def run_block(name: str, cwd: Path, **env: str) -> None:
    commands = readme_block(name).replace("scripts/embedded-pg", str(ROOT / "scripts/embedded-pg"))
    result = subprocess.run(["/bin/sh", "-eu", "-c", commands], cwd=cwd, capture_output=True,
                            text=True, env={**os.environ, **env}, timeout=300)
    assert result.returncode == 0, f"README block '{name}' failed:\n{result.stderr}"


@dataclass
class Keepsakes:
    """What a user holds from before the backup: a login, a link from an e-mail, a push key."""

    cookies: dict[str, str]
    link: str
    push_key: str


@dataclass
class Backup:
    """A Parley backed up by the README's commands: its VAR_DIR, the backup, what was in it."""

    var: Path
    work: Path  # parley.dump and media.tgz
    room: int
    kept: Keepsakes


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> Backup:
    top = tmp_path_factory.mktemp("backup")
    top.chmod(0o755)  # PostgreSQL runs as an unprivileged user when we are root
    var, work = top / "var", top / "work"
    work.mkdir()
    with running_server({**ENV, "VAR_DIR": str(var)}) as (base, _):
        room = asyncio.run(_post(base, "alice", None, "before the backup", image=True))
        kept = asyncio.run(_keepsakes(base))
        run_block("back up", work, VAR_DIR=str(var))
        asyncio.run(_post(base, "alice", room, "after the backup"))
    assert (work / "parley.dump").stat().st_size > 0 and (work / "media.tgz").exists()
    return Backup(var, work, room, kept)


def test_a_backup_restored_into_a_fresh_var_dir_keeps_messages_photos_logins_and_links(
        backup: Backup, tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    fresh = tmp_path / "fresh"  # a lost disk: a new VAR_DIR, on a Parley started there afresh
    with running_server({**ENV, "VAR_DIR": str(fresh)}):
        run_block("restore", backup.work, VAR_DIR=str(fresh))
    with running_server({**ENV, "VAR_DIR": str(fresh)}) as (base, _):
        restored = asyncio.run(_read(base, backup.room))
        survived = asyncio.run(_still_valid(base, backup.kept))

    assert restored == (["before the backup"], [200])
    # Nobody is logged out, e-mailed links still work, push subscriptions still match the key.
    assert survived == {"session": 200, "e-mailed link": 200, "push key": backup.kept.push_key}


def test_the_move_to_a_separate_postgresql_18_keeps_messages_and_photos(
        backup: Backup, tmp_path: Path) -> None:
    with throwaway_postgres() as other:  # a separate PostgreSQL of the same major (18)
        moved = _move(backup, other.get_uri(), tmp_path)

    assert moved == (["before the backup"], [200])


def test_the_move_to_an_older_postgresql_15_keeps_messages_and_photos(
        backup: Backup, tmp_path: Path) -> None:
    server = asyncio.run(_older_postgres_or_skip())
    name = f"parley_moved_{uuid.uuid4().hex[:8]}"
    asyncio.run(_sql(server, f'CREATE DATABASE "{name}"'))
    try:
        moved = _move(backup, with_database(server, name), tmp_path)
    finally:
        asyncio.run(_sql(server, f'DROP DATABASE "{name}" WITH (FORCE)'))

    assert moved == (["before the backup"], [200])


def _move(backup: Backup, url: str, tmp_path: Path) -> tuple[list[str], list[int]]:
    """The README's move into the empty database at `url`, then Parley started on it."""
    work = tmp_path / "work"
    shutil.copytree(backup.work, work)
    run_block("move to a separate server", work, VAR_DIR=str(backup.var), DATABASE_URL=url)
    moved_var = tmp_path / "moved"
    shutil.copytree(backup.var / "media", moved_var / "media")
    with running_server({"DATABASE_URL": url, "VAR_DIR": str(moved_var)}) as (base, _):
        return asyncio.run(_read(base, backup.room))


async def _older_postgres_or_skip() -> str:
    """OLDER_POSTGRES_URL's server (the machine's PostgreSQL by default), if it is 15 or 16."""
    try:
        conn = await asyncpg.connect(OLDER_POSTGRES_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"no PostgreSQL answers at {OLDER_POSTGRES_URL} (set OLDER_POSTGRES_URL): "
                    f"{exc}")
    try:
        version = await conn.fetchval("SHOW server_version_num")
    finally:
        await conn.close()
    if not 150000 <= int(version) < 170000:
        pytest.skip(f"{OLDER_POSTGRES_URL} runs {version}, not 15 or 16 (which refuse "
                    "transaction_timeout)")
    return OLDER_POSTGRES_URL


async def _sql(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _keepsakes(base: str) -> Keepsakes:
    user = RemoteUser(base, "alice")
    try:
        await _log_in(user)
        link = ""
        async with asyncio.timeout(WAIT):  # the sign-up's confirmation e-mail
            while not link:
                found = re.search(r"/email/verification/\S+", (await user.http.get("/dev/mail")).text)
                link = found.group(0) if found else ""
        page = (await user.http.get("/rooms")).text
        return Keepsakes(dict(user.http.cookies.items()), link,
                         select_one(page, "[data-push-key]")["data-push-key"])
    finally:
        await user.close()


async def _still_valid(base: str, kept: Keepsakes) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base, cookies=kept.cookies, timeout=20) as client:
        page = await client.get("/rooms")
        link = await client.get(kept.link)
    return {"session": page.status_code, "e-mailed link": link.status_code,
            "push key": select_one(page.text, "[data-push-key]")["data-push-key"]
            if page.status_code == 200 else None}


async def _post(base: str, name: str, room: int | None, body: str, image: bool = False) -> int:
    user = RemoteUser(base, name)
    try:
        if room is None:
            await user.sign_up()
            room = await user.create_room("kept")
        else:
            await _log_in(user)
        files = {"image": ("photo.png", still("PNG", (40, 30)), "image/png")} if image else None
        token = await user.csrf()  # in the query too, as the composer's action carries it
        response = await user.http.post(f"/rooms/{room}/messages", files=files,
                                        params={"csrf_token": token}, data={
            "csrf_token": token, "body": body, "client_msg_id": uuid.uuid4().hex})
        assert response.status_code == 303, response.text
        return room
    finally:
        await user.close()


async def _read(base: str, room: int) -> tuple[list[str], list[int]]:
    """The room's message bodies and the status of each image in it, as alice sees them."""
    user = RemoteUser(base, "alice")
    try:
        await _log_in(user)
        html = (await user.http.get(f"/rooms/{room}/messages?after=0")).text
        bodies = [m.select_one(".body").text.strip() for m in select(html, ".message")]
        images = [(await user.http.get(img["src"])).status_code
                  for img in select(html, ".message img[src^='/media/']")]
        return bodies, images
    finally:
        await user.close()


async def _log_in(user: RemoteUser) -> None:
    response = await user.post("/login", {"username": user.username,
                                          "password": "correct horse battery"})
    assert response.status_code == 303, response.text

