"""Everyone rooms: a team's first week without friction — newcomers land in the team's rooms."""

from __future__ import annotations

from datetime import UTC, datetime

from quart import Quart

from app.actions.webhooks import create_webhook
from app.models import Membership, Room, User
from tests.helpers import Person, select, select_one
from tests.live import frame_matching, registered, socket


async def test_the_first_account_makes_general_which_everyone_who_signs_up_joins(
        alice: Person, bob: Person) -> None:
    general = await Room.get(name="General")
    page = await (await bob.get("/rooms")).get_data()

    assert general.everyone and general.owner_id == alice.user_id
    assert {m.user_id for m in await Membership.filter(room_id=general.id)} == \
        {alice.user_id, bob.user_id}
    assert select_one(page, f"#sidebar-rooms a[data-room-id='{general.id}'] .room-name") \
        .text.split() == ["#", "General"]
    assert "You have not joined any rooms yet" not in select_one(page, "#sidebar").text


async def test_marking_a_room_adds_every_active_person_but_no_bot_and_no_deactivated_account(
        app: Quart, alice: Person, bob: Person, mallory: Person) -> None:
    room_id = await alice.create_room("announcements")
    ops = await alice.create_room("ops")  # its webhook posts as a bot, which joins no other room
    await create_webhook(await Room.get(id=ops), await User.get(id=alice.user_id), "CI")
    await User.filter(id=mallory.user_id).update(deactivated_at=datetime.now(UTC))

    marked = await alice.post(f"/admin/rooms/{room_id}/everyone")
    again = await alice.post(f"/admin/rooms/{room_id}/everyone")  # a second click adds nobody
    carol = Person(app, "carol")
    await carol.sign_up()

    members = await Membership.filter(room_id=room_id).prefetch_related("user")
    assert marked.status_code == again.status_code == 303
    assert sorted(m.user.username for m in members) == ["alice", "bob", "carol"]
    admin_page = await (await alice.get("/admin")).get_data()
    row = select_one(admin_page, f".rooms-list .room[data-room-id='{room_id}']")
    assert select_one(str(row), ".everyone-badge").text == "everyone joins"


async def test_a_marked_room_appears_live_in_the_sidebar_of_someone_already_online(
        alice: Person, bob: Person) -> None:
    room_id = await alice.create_room("announcements")
    async with socket(bob) as ws:
        await registered(bob)
        await alice.post(f"/admin/rooms/{room_id}/everyone")
        frame = await frame_matching(ws, f"#sidebar-rooms a[data-room-id='{room_id}']")

    assert "announcements" in select_one(frame, "#sidebar-rooms").text


async def test_unmarking_stops_new_people_joining_and_keeps_the_members(
        app: Quart, alice: Person, bob: Person) -> None:
    room_id = await alice.create_room("announcements")
    await alice.post(f"/admin/rooms/{room_id}/everyone")

    unmarked = await alice.post(f"/admin/rooms/{room_id}/everyone/deletion")
    carol = Person(app, "carol")
    await carol.sign_up()

    assert unmarked.status_code == 303
    assert not (await Room.get(id=room_id)).everyone
    assert await Membership.filter(room_id=room_id).count() == 2  # alice and bob stay
    assert not await Membership.exists(room_id=room_id, user_id=carol.user_id)


async def test_only_a_public_unarchived_room_can_be_everyones_and_the_page_says_why(
        alice: Person, bob: Person) -> None:
    private = await alice.create_room("secret", visibility="private")

    refused = await alice.post(f"/admin/rooms/{private}/everyone")

    assert refused.status_code == 400
    assert "Only a public room" in select_one(await refused.get_data(), "#everyone-error").text
    assert not (await Room.get(id=private)).everyone
    assert not await Membership.exists(room_id=private, user_id=bob.user_id)


async def test_only_an_administrator_may_mark_a_room(alice: Person, bob: Person) -> None:
    room_id = await bob.create_room("bobs room")

    refused = await bob.post(f"/admin/rooms/{room_id}/everyone")
    no_token = await alice.client.post(f"/admin/rooms/{room_id}/everyone")

    assert refused.status_code == no_token.status_code == 403
    assert not (await Room.get(id=room_id)).everyone
    assert not await Membership.exists(room_id=room_id, user_id=alice.user_id)


async def test_people_suggestions_list_active_people_only(alice: Person, bob: Person,
                                                         mallory: Person) -> None:
    room_id = await alice.create_room("ops")
    await create_webhook(await Room.get(id=room_id), await User.get(id=alice.user_id), "bot-ci")
    await User.filter(id=mallory.user_id).update(deactivated_at=datetime.now(UTC))

    found = await (await alice.get("/users/search?q=")).get_data()
    names = {q: [o["value"] for o in select(await (await alice.get(f"/users/search?q={q}"))
                                            .get_data(), "option")] for q in ("b", "m", "a")}

    assert select(found, "option") == []
    assert names == {"b": ["bob"], "m": [], "a": []}  # no bot, no deactivated, never oneself
