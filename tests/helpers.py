"""Helpers for tests: logged-in test clients, CSRF tokens, and CSS selection on HTML."""

from __future__ import annotations

import base64
import io
import json
import os
from typing import Any
from urllib.parse import urlencode

from bs4 import BeautifulSoup, Tag
from quart import Quart
from werkzeug.datastructures import FileStorage

from config.settings import settings_of

# How long a wait on a condition may take before the test fails: a safety net for a loaded
# machine, never a measure (no test asserts how fast something happened).
WAIT = 60.0


def soup(html: str | bytes) -> BeautifulSoup:
    """Parse HTML for CSS-selector assertions."""
    return BeautifulSoup(html, "html.parser")


def upload(data: bytes, filename: str = "photo.jpg",
           content_type: str = "application/octet-stream") -> FileStorage:
    """A file as a browser would send it (name and type are the client's claims, not facts)."""
    return FileStorage(io.BytesIO(data), filename=filename, content_type=content_type)


def stored_files(app: Quart) -> set[str]:
    """Names of every file under MEDIA_ROOT (temporary files included, so strays show up)."""
    root = settings_of(app).media_dir
    return {path.name for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def select(html: str | bytes, selector: str) -> list[Tag]:
    """Every element matching the CSS selector."""
    return soup(html).select(selector)


def select_one(html: str | bytes, selector: str) -> Tag:
    """The one element matching the selector (fails the test when there is none)."""
    found = soup(html).select_one(selector)
    assert found is not None, f"nothing matches {selector!r}"
    return found


class Person:
    """A test client with its own cookies, acting as one user in one browser."""

    def __init__(self, app: Quart, username: str) -> None:
        self.app = app
        self.username = username
        self.client = app.test_client()
        self.user_id: int | None = None

    async def csrf(self) -> str:
        """The CSRF token of this browser (read from a page, as a browser would)."""
        response = await self.client.get("/login")
        return select_one(await response.get_data(), "input[name=csrf_token]")["value"]

    async def post(self, path: str, form: dict[str, Any] | None = None, *,
                   htmx: bool = False, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        """POST a form with this browser's CSRF token (as the page's forms do)."""
        token = await self.csrf()
        fields = {"csrf_token": token, **(form or {})}
        sent = {"HX-Request": "true"} if htmx else {}
        if kw.get("files"):
            # An upload's sender is checked before its body is read: the page's upload forms
            # carry the token in their action (htmx sends it as a header, which works too).
            path += ("&" if "?" in path else "?") + urlencode({"csrf_token": token})
        if any(isinstance(value, list) for value in fields.values()):
            # A list is a field sent several times (checkboxes), as a browser does.
            pairs = [(name, v) for name, value in fields.items()
                     for v in (value if isinstance(value, list) else [value])]
            return await self.client.post(path, data=urlencode(pairs).encode(), headers={
                "Content-Type": "application/x-www-form-urlencoded", **sent, **(headers or {})},
                **kw)
        return await self.client.post(path, form=fields, headers={**sent, **(headers or {})},
                                      **kw)

    async def get(self, path: str, **kw: Any) -> Any:
        return await self.client.get(path, **kw)

    async def sign_up(self, password: str = "correct horse battery", *,
                      verified: bool = True) -> Any:
        """Sign up through the join link (which the administrator would have shared), and
        confirm the address as its owner would (`verified=False` leaves it unconfirmed)."""
        from app.actions.addresses import verify_email
        from app.models import User

        response = await self.post(await join_path(), {"username": self.username,
                                                      "email": f"{self.username}@example.com",
                                                      "password": password})
        assert response.status_code == 303, await response.get_data(as_text=True)
        user = await User.get(username_key=self.username.lower())
        self.user_id = user.id
        if verified:
            await verify_email(user)
        return response

    async def create_room(self, name: str, topic: str = "", visibility: str = "public") -> int:
        response = await self.post("/rooms", {"name": name, "topic": topic,
                                              "visibility": visibility})
        assert response.status_code == 303
        return int(response.headers["Location"].rsplit("/", 1)[-1])

    async def join(self, room_id: int) -> Any:
        return await self.post(f"/rooms/{room_id}/membership")

    async def invite(self, room_id: int, username: str, **kw: Any) -> Any:
        return await self.post(f"/rooms/{room_id}/invitations", {"username": username}, **kw)

    async def say(self, room_id: int, body: str, client_msg_id: str | None = None, **kw: Any) -> Any:
        form = {"body": body}
        if client_msg_id:
            form["client_msg_id"] = client_msg_id
        return await self.post(f"/rooms/{room_id}/messages", form, **kw)

    async def post_image(self, room_id: int, data: bytes, body: str = "",
                         filename: str = "photo.jpg", client_msg_id: str | None = None,
                         **kw: Any) -> Any:
        """Post a message with an image attached, as the composer does (multipart)."""
        form = {"body": body, **({"client_msg_id": client_msg_id} if client_msg_id else {})}
        return await self.post(f"/rooms/{room_id}/messages", form,
                               files={"image": upload(data, filename)}, **kw)

    async def post_file(self, room_id: int, data: bytes, filename: str, body: str = "",
                        client_msg_id: str | None = None, **kw: Any) -> Any:
        """Post a message with any file attached, through the composer's one file field."""
        return await self.post_image(room_id, data, body, filename, client_msg_id, **kw)

    async def upload_avatar(self, data: bytes, filename: str = "me.jpg") -> Any:
        """Send the profile photo form."""
        return await self.post("/profile/avatar", files={"avatar": upload(data, filename)})

async def join_path() -> str:
    """The path of the instance's current join link."""
    from app.actions.instance import get_instance

    return f"/join/{(await get_instance()).join_token}"


async def signed_in(app: Quart, user: Any) -> Person:
    """A Person already logged in as an existing user (no password hashing: fast set-up)."""
    from quart_auth import generate_auth_token

    from app.actions.accounts import create_session

    person = Person(app, user.username)
    person.user_id = user.id
    session = await create_session(user)
    person.client.set_cookie("localhost", app.config["QUART_AUTH_COOKIE_NAME"],
                             generate_auth_token(person.client, session.id), httponly=True)
    return person


def b64url(raw: bytes) -> str:
    """Unpadded base64url, the encoding browsers use for keys and ciphertext."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def key_form(**overrides: Any) -> dict[str, Any]:
    """A well-formed POST /keys form (random bytes of the right sizes; the server cannot tell)."""
    return {"algorithm": "X25519", "public_key": b64url(os.urandom(32)),
            "wrapped_key": b64url(os.urandom(64)), "salt": b64url(os.urandom(16)),
            "iv": b64url(os.urandom(12)), "iterations": "600000", **overrides}


def sealed_envelope(sender_key: int, member_keys: list[int], **overrides: Any) -> dict[str, Any]:
    """A well-formed version-2 envelope (random bytes of the right sizes: the server cannot
    tell), sealed for each key in `member_keys`."""
    return {"v": 2, "sender_key": sender_key, "iv": b64url(os.urandom(12)),
            "ciphertext": b64url(os.urandom(40)),
            "keys": [{"key": k, "salt": b64url(os.urandom(32)), "iv": b64url(os.urandom(12)),
                      "sealed": b64url(os.urandom(48))} for k in member_keys], **overrides}


def sealed_form(sender_key: int, member_keys: list[int], **overrides: Any) -> dict[str, Any]:
    """A direct room's composer form: the client message id and the sealed envelope as JSON."""
    client_msg_id = overrides.pop("client_msg_id", os.urandom(8).hex())
    return {"client_msg_id": client_msg_id,
            "envelope": json.dumps(sealed_envelope(sender_key, member_keys, **overrides))}


async def publish_key(person: Person, **overrides: Any) -> int:
    """Publish a key for `person` and return its id."""
    response = await person.post("/keys", key_form(**overrides))
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["id"]


async def start_direct(person: Person, *usernames: str) -> int:
    """Start (or find) `person`'s private conversation with `usernames`; return the room id."""
    response = await person.post("/dm", {"username": list(usernames)})
    assert response.status_code == 303, await response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[-1])
