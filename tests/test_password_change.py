"""Changing one's password on the profile: the current one is needed, other sessions end,
and a notice goes to the account's address."""

from __future__ import annotations

from quart import Quart

from app.models import Session
from tests.helpers import Person, select_one
from tests.live import SocketClosed, frame_matching, next_frame, registered, socket
from tests.mailbox import SmtpServer, eventually

OLD, NEW = "correct horse battery", "a brand new secret"


def change(current: str = OLD, new: str = NEW, confirm: str | None = None) -> dict[str, str]:
    return {"current_password": current, "new_password": new,
            "confirm_password": new if confirm is None else confirm}


async def test_changing_ends_the_other_sessions_keeps_this_one_and_emails_a_notice(
        app: Quart, bob: Person, smtp: SmtpServer) -> None:
    laptop = Person(app, "bob")
    await laptop.post("/login", {"username": "bob", "password": OLD})

    response = await bob.post("/profile/password", change())
    profile = await bob.get("/profile")

    assert response.status_code == 303
    assert profile.status_code == 200  # this browser stays signed in
    assert "Your password is changed" in select_one(await profile.get_data(), ".flashes").text
    assert (await laptop.get("/rooms")).status_code == 302  # the other one is logged out
    assert await Session.filter(user_id=bob.user_id).count() == 1
    assert (await Person(app, "bob").post("/login", {"username": "bob", "password": NEW})) \
        .status_code == 303
    assert (await Person(app, "bob").post("/login", {"username": "bob", "password": OLD})) \
        .status_code == 400
    await eventually(lambda: smtp.inbox.to("bob@example.com"))
    [mail] = smtp.inbox.to("bob@example.com")
    assert mail.message["Subject"] == "Your Parley password was changed"
    assert "If it was not you" in mail.text


async def test_the_other_sessions_sockets_close_and_this_ones_stay_open(
        app: Quart, bob: Person, alice: Person) -> None:
    laptop = Person(app, "bob")
    await laptop.post("/login", {"username": "bob", "password": OLD})
    async with socket(bob) as mine, socket(laptop) as theirs:
        await registered(bob, sockets=2)
        await bob.post("/profile/password", change())
        try:
            while True:
                await next_frame(theirs)
        except SocketClosed as closed:
            assert closed.code == 1008
        room_id = await alice.create_room("after the change", visibility="private")
        await alice.invite(room_id, "bob")
        await frame_matching(mine, "#invitations")  # bob's own tab still hears his events


async def test_a_wrong_current_password_is_refused_clearly_and_changes_nothing(
        app: Quart, bob: Person, smtp: SmtpServer) -> None:
    response = await bob.post("/profile/password", change(current="not my password"))

    page = await response.get_data()
    assert response.status_code == 400
    assert "not your current password" in select_one(page, "#current_password-error").text
    assert select_one(page, "#current-password")["aria-invalid"] == "true"
    assert (await Person(app, "bob").post("/login", {"username": "bob", "password": OLD})) \
        .status_code == 303
    assert smtp.inbox.to("bob@example.com") == []


async def test_a_short_or_mismatched_new_password_is_refused_next_to_its_field(
        app: Quart, bob: Person) -> None:
    short = await (await bob.post("/profile/password", change(new="short"))).get_data()
    mismatch = await (await bob.post("/profile/password",
                                     change(confirm="something else"))).get_data()

    assert "at least 8 characters" in select_one(short, "#new_password-error").text
    assert "not the same" in select_one(mismatch, "#confirm_password-error").text
    assert (await Person(app, "bob").post("/login", {"username": "bob", "password": OLD})) \
        .status_code == 303


async def test_changing_needs_the_forms_token_and_is_rate_limited(app: Quart, bob: Person) -> None:
    forged = await bob.client.post("/profile/password", form=change())
    tries = [(await bob.post("/profile/password", change(current=f"guess {n}"))).status_code
             for n in range(11)]

    assert forged.status_code == 403
    assert tries[:10] == [400] * 10 and tries[10] == 429
    assert (await Person(app, "bob").post("/login", {"username": "bob", "password": OLD})) \
        .status_code == 303
