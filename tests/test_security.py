"""CSRF, same-origin checks and security headers."""

from __future__ import annotations

from app.models import Message, Room
from tests.helpers import Person


async def test_a_post_without_the_csrf_token_is_refused(alice: Person) -> None:
    response = await alice.client.post("/rooms", form={"name": "sneaky"})

    assert response.status_code == 403
    assert await Room.all().count() == 0


async def test_a_post_with_a_wrong_csrf_token_is_refused(alice: Person, room_id: int) -> None:
    response = await alice.client.post(f"/rooms/{room_id}/messages",
                                       form={"body": "x", "csrf_token": "forged"})

    assert response.status_code == 403
    assert await Message.all().count() == 0


async def test_htmx_sends_the_token_as_a_header(alice: Person, room_id: int) -> None:
    token = await alice.csrf()

    response = await alice.client.post(f"/rooms/{room_id}/messages", form={"body": "hi"},
                                       headers={"X-CSRF-Token": token, "HX-Request": "true"})

    assert response.status_code == 200


async def test_a_cross_site_post_is_refused_even_with_a_token(alice: Person, room_id: int) -> None:
    cross_site = await alice.say(room_id, "x", headers={"Sec-Fetch-Site": "cross-site"})
    foreign_origin = await alice.say(room_id, "x", headers={"Origin": "https://evil.example"})
    same_origin = await alice.say(room_id, "ok", headers={"Origin": "http://localhost",
                                                          "Sec-Fetch-Site": "same-origin"})

    assert cross_site.status_code == foreign_origin.status_code == 403
    assert same_origin.status_code == 303
    assert [m.body for m in await Message.all()] == ["ok"]


async def test_login_without_a_token_is_refused(alice: Person) -> None:
    response = await alice.client.post("/login", form={"username": "alice",
                                                       "password": "correct horse battery"})

    assert response.status_code == 403


async def test_pages_carry_security_headers(alice: Person) -> None:
    response = await alice.get("/rooms")

    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
