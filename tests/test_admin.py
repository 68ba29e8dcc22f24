"""The admin page: deactivating and reactivating people, appointing administrators,
archiving rooms and naming the instance."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from quart import Quart

from app.actions.messages import create_message
from app.actions.users import NO_LONGER_ADMIN, deactivate_user, set_administrator
from app.errors import Conflict, Forbidden
from app.models import Delivery, NotificationStatus, Room, Session, User
from config.settings import attach, settings_of
from tests.helpers import Person, select, select_one
from tests.live import SocketClosed, next_frame, registered, socket
from tests.mailbox import SmtpServer, calm_mailer, eventually, send_mail_to, wake_mailer

PASSWORD = "correct horse battery"


async def _deactivate(admin: Person, person: Person) -> None:
    response = await admin.post(f"/admin/users/{person.user_id}/deactivation")
    assert response.status_code == 303, await response.get_data(as_text=True)


async def test_a_deactivated_user_is_logged_out_everywhere(alice: Person, bob: Person) -> None:
    await _deactivate(alice, bob)

    response = await bob.get("/rooms")

    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert not await Session.exists(user_id=bob.user_id)


async def test_a_deactivated_user_cannot_log_in_and_is_told_why(app: Quart, alice: Person,
                                                                bob: Person) -> None:
    await _deactivate(alice, bob)

    response = await Person(app, "bob").post("/login", {"username": "bob", "password": PASSWORD})

    assert response.status_code == 403
    assert "deactivated" in select_one(await response.get_data(), ".form-error").text


async def test_a_wrong_password_for_a_deactivated_user_says_nothing_more(
        app: Quart, alice: Person, bob: Person) -> None:
    await _deactivate(alice, bob)

    response = await Person(app, "bob").post("/login", {"username": "bob", "password": "nope!!!!"})

    assert response.status_code == 400
    assert "deactivated" not in select_one(await response.get_data(), ".form-error").text


async def test_reactivating_lets_them_log_in_again(app: Quart, alice: Person, bob: Person) -> None:
    await _deactivate(alice, bob)

    response = await alice.post(f"/admin/users/{bob.user_id}/reactivation")
    login = await Person(app, "bob").post("/login", {"username": "bob", "password": PASSWORD})

    assert response.status_code == 303
    assert login.status_code == 303


async def test_a_deactivated_users_open_socket_is_closed(alice: Person, bob: Person,
                                                         room_id: int) -> None:
    async with socket(bob, room_id) as ws:
        await registered(bob)

        await _deactivate(alice, bob)

        with pytest.raises(SocketClosed) as closed:
            while True:
                await next_frame(ws)
    assert closed.value.code == 1008


async def test_an_administrator_cannot_deactivate_themselves(alice: Person) -> None:
    response = await alice.post(f"/admin/users/{alice.user_id}/deactivation")

    assert response.status_code == 403
    assert (await User.get(id=alice.user_id)).deactivated_at is None


async def test_the_page_lists_people_with_their_state(alice: Person, bob: Person,
                                                      mallory: Person) -> None:
    await _deactivate(alice, mallory)

    page = await (await alice.get("/admin")).get_data()

    rows = {row.select_one(".name").text: row for row in select(page, ".person")}
    assert list(rows) == ["alice", "bob", "mallory"]
    assert "administrator" in rows["alice"].text
    assert rows["bob"].select_one("form[action$='/deactivation'] button")
    assert "deactivated" in rows["mallory"].text
    assert rows["mallory"].select_one("form[action$='/reactivation'] button")


async def test_an_administrator_can_appoint_another(alice: Person, bob: Person) -> None:
    refused = await bob.get("/admin")

    response = await alice.post(f"/admin/users/{bob.user_id}/administrator")

    assert refused.status_code == 403
    assert response.status_code == 303
    assert (await bob.get("/admin")).status_code == 200
    assert select(await (await bob.get("/rooms")).get_data(), ".admin-link")


async def test_an_administrator_can_take_the_role_back_but_not_from_themselves(
        alice: Person, bob: Person) -> None:
    await alice.post(f"/admin/users/{bob.user_id}/administrator")

    dismissed = await alice.post(f"/admin/users/{bob.user_id}/administrator/deletion")
    refused = await alice.post(f"/admin/users/{alice.user_id}/administrator/deletion")

    assert dismissed.status_code == 303 and refused.status_code == 403
    assert [u.is_admin for u in await User.all().order_by("id")] == [True, False]


async def test_archiving_a_room_hides_it_and_unarchiving_brings_it_back(
        alice: Person, bob: Person) -> None:
    room_id = await bob.create_room("bob's corner", visibility="private")

    archived = await alice.post(f"/admin/rooms/{room_id}/archival")
    hidden = await bob.get(f"/rooms/{room_id}")
    restored = await alice.post(f"/admin/rooms/{room_id}/archival/deletion")

    assert archived.status_code == 303 and hidden.status_code == 404
    assert restored.status_code == 303
    assert (await bob.get(f"/rooms/{room_id}")).status_code == 200
    page = await (await alice.get("/admin")).get_data()
    assert "bob's corner" in select_one(page, f".room[data-room-id='{room_id}']").text


async def test_the_instance_name_shows_in_the_header_and_titles(alice: Person, bob: Person) -> None:
    response = await alice.post("/admin/instance", {"name": "Acme chat", "signup_policy": "link"})

    page = await (await bob.get("/rooms")).get_data()

    assert response.status_code == 303
    assert select_one(page, ".brand").text == "Acme chat"
    assert select_one(page, "title").text == "Rooms · Acme chat"


async def test_an_empty_instance_name_is_refused(alice: Person) -> None:
    response = await alice.post("/admin/instance", {"name": "  ", "signup_policy": "link"})

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#name-error").text == "Give the instance a name."


async def test_a_deactivated_user_gets_no_more_email(app: Quart, alice: Person, bob: Person,
                                                     room_id: int) -> None:
    server = SmtpServer()
    server.start()
    undo = send_mail_to(app, server, delay=3600)  # nothing comes due until the test says so
    await wake_mailer(app)
    try:
        room = await Room.get(id=room_id)
        await create_message(room, await User.get(id=alice.user_id), "@bob are you there?", None,
                             max_chars=100, grace=timedelta(0))
        assert await Delivery.emails().filter(user_id=bob.user_id, status=NotificationStatus.PENDING).exists()

        async with app.app_context():  # the action drops this process's cached sessions
            await deactivate_user(await User.get(id=alice.user_id), await User.get(id=bob.user_id))
        attach(app, replace(settings_of(app), notify_delay_seconds=0))  # due now: re-checked

        await eventually(lambda: Delivery.emails().filter(user_id=bob.user_id,
                                                     status=NotificationStatus.SKIPPED).exists())
        assert server.inbox.received == []
    finally:
        undo()
        await calm_mailer(app)
        server.stop()


async def _two_administrators(alice: Person, bob: Person) -> tuple[User, User]:
    response = await alice.post(f"/admin/users/{bob.user_id}/administrator")
    assert response.status_code == 303
    return await User.get(id=alice.user_id), await User.get(id=bob.user_id)


async def _active_administrators() -> list[str]:
    return [u.username for u in await User.filter(is_admin=True, deactivated_at=None)]


@pytest.mark.parametrize(("first", "second"), [
    ("demote", "demote"), ("deactivate", "deactivate"), ("demote", "deactivate")])
async def test_two_administrators_dropping_each_other_at_once_leave_one_in_charge(
        app: Quart, alice: Person, bob: Person, first: str, second: str) -> None:
    a, b = await _two_administrators(alice, bob)
    act = {"demote": lambda admin, other: set_administrator(admin, other, False),
           "deactivate": deactivate_user}

    # Each action runs in its own transaction, on its own pooled connection, at the same time.
    async with app.app_context():
        results = await asyncio.gather(act[first](a, b), act[second](b, a),
                                       return_exceptions=True)

    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(refusals) == 1, results
    [survivor] = await _active_administrators()
    assert isinstance(refusals[0], Conflict)
    assert refusals[0].message.startswith(f"{survivor} is the last active administrator")


async def test_an_administrator_dropped_meanwhile_can_no_longer_appoint(
        app: Quart, alice: Person, bob: Person, mallory: Person) -> None:
    a, b = await _two_administrators(alice, bob)
    await User.filter(id=a.id).update(is_admin=False)  # bob took alice's role a moment ago

    async with app.app_context():
        with pytest.raises(Forbidden) as refused:
            await set_administrator(a, await User.get(id=mallory.user_id), True)

    assert refused.value.message == NO_LONGER_ADMIN
    assert await _active_administrators() == ["bob"]
