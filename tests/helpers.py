"""Helpers for tests: logged-in test clients, CSRF tokens, and CSS selection on HTML."""

from __future__ import annotations

import base64
import os
from typing import Any

from bs4 import BeautifulSoup, Tag
from quart import Quart


def soup(html: str | bytes) -> BeautifulSoup:
    """Parse HTML for CSS-selector assertions."""
    return BeautifulSoup(html, "html.parser")


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
        data = {"csrf_token": await self.csrf(), **(form or {})}
        sent = {"HX-Request": "true"} if htmx else {}
        return await self.client.post(path, form=data, headers={**sent, **(headers or {})}, **kw)

    async def get(self, path: str, **kw: Any) -> Any:
        return await self.client.get(path, **kw)

    async def sign_up(self, password: str = "correct horse battery") -> Any:
        response = await self.post("/register", {"username": self.username,
                                                 "email": f"{self.username}@example.com",
                                                 "password": password})
        assert response.status_code == 303, await response.get_data(as_text=True)
        from app.models import User

        self.user_id = (await User.get(username_key=self.username.lower())).id
        return response

    async def create_room(self, name: str, topic: str = "") -> int:
        response = await self.post("/rooms", {"name": name, "topic": topic})
        assert response.status_code == 303
        return int(response.headers["Location"].rsplit("/", 1)[-1])

    async def join(self, room_id: int) -> Any:
        return await self.post(f"/rooms/{room_id}/membership")

    async def say(self, room_id: int, body: str, client_msg_id: str | None = None, **kw: Any) -> Any:
        form = {"body": body}
        if client_msg_id:
            form["client_msg_id"] = client_msg_id
        return await self.post(f"/rooms/{room_id}/messages", form, **kw)


def b64url(raw: bytes) -> str:
    """Unpadded base64url, the encoding browsers use for keys and ciphertext."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def key_form(**overrides: Any) -> dict[str, Any]:
    """A well-formed POST /keys form (random bytes of the right sizes; the server cannot tell)."""
    return {"algorithm": "X25519", "public_key": b64url(os.urandom(32)),
            "wrapped_key": b64url(os.urandom(64)), "salt": b64url(os.urandom(16)),
            "iv": b64url(os.urandom(12)), "iterations": "600000", **overrides}


def envelope_form(sender_key: int, recipient_key: int, **overrides: Any) -> dict[str, Any]:
    """A well-formed encrypted-message form, as the composer posts it."""
    return {"client_msg_id": os.urandom(8).hex(), "ciphertext": b64url(os.urandom(40)),
            "iv": b64url(os.urandom(12)), "salt": b64url(os.urandom(32)),
            "sender_key_id": str(sender_key), "recipient_key_id": str(recipient_key),
            **overrides}


async def publish_key(person: Person, **overrides: Any) -> int:
    """Publish a key for `person` and return its id."""
    response = await person.post("/keys", key_form(**overrides))
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["id"]
