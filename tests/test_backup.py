"""The README's backup, restore and "move to a separate PostgreSQL" commands, run as written.

Each `sh` block of README.md whose first line is `# embedded: ...` is run by /bin/sh in a work
folder, with VAR_DIR (and DATABASE_URL where the block needs it) set, against a real server.
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

import httpx

from tests.database import throwaway_postgres
from tests.helpers import WAIT, select, select_one
from tests.images import still
from tests.remote import RemoteUser
from tests.server import ROOT, running_server

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


def test_the_readme_backup_restore_and_move_commands_keep_messages_and_photos(
        tmp_path: Path) -> None:
    tmp_path.chmod(0o755)  # PostgreSQL runs as an unprivileged user when we are root
    var, fresh, work = tmp_path / "var", tmp_path / "fresh", tmp_path / "work"
    work.mkdir()
    env = {"DATABASE_URL": "", "MAIL_POLL_SECONDS": "0.1"}
    with running_server({**env, "VAR_DIR": str(var)}) as (base, _):
        room = asyncio.run(_post(base, "alice", None, "before the backup", image=True))
        kept = asyncio.run(_keepsakes(base))
        run_block("back up", work, VAR_DIR=str(var))
        asyncio.run(_post(base, "alice", room, "after the backup"))
    # A lost disk: the backup restored into a new VAR_DIR, on a Parley started there afresh.
    with running_server({**env, "VAR_DIR": str(fresh)}):
        run_block("restore", work, VAR_DIR=str(fresh))
    with running_server({**env, "VAR_DIR": str(fresh)}) as (base, _):
        restored = asyncio.run(_read(base, room))
        survived = asyncio.run(_still_valid(base, kept))

    with throwaway_postgres() as other:  # a separate PostgreSQL of the same major (18)
        url = other.get_uri()
        run_block("move to a separate server", work, VAR_DIR=str(fresh), DATABASE_URL=url)
        moved_var = tmp_path / "moved"
        shutil.copytree(fresh / "media", moved_var / "media")
        with running_server({"DATABASE_URL": url, "VAR_DIR": str(moved_var)}) as (base, _):
            moved = asyncio.run(_read(base, room))

    assert (work / "parley.dump").stat().st_size > 0 and (work / "media.tgz").exists()
    assert restored == (["before the backup"], [200])
    # Nobody is logged out, e-mailed links still work, push subscriptions still match the key.
    assert survived == {"session": 200, "e-mailed link": 200, "push key": kept.push_key}
    assert moved == (["before the backup"], [200])


@dataclass
class Keepsakes:
    """What a user holds from before the backup: a login, a link from an e-mail, a push key."""

    cookies: dict[str, str]
    link: str
    push_key: str


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
        response = await user.http.post(f"/rooms/{room}/messages", files=files, data={
            "csrf_token": await user.csrf(), "body": body, "client_msg_id": uuid.uuid4().hex})
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

