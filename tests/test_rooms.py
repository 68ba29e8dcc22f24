"""The room directory, creating rooms and joining them."""

from __future__ import annotations

from quart import Quart

from app.models import Membership, Room
from tests.helpers import Person, select, select_one


async def test_creating_a_room_makes_the_creator_its_owner_and_member(alice: Person) -> None:
    room_id = await alice.create_room("  design   team ", "Pixels & <b>fonts</b>")

    room = await Room.get(id=room_id)
    assert (room.name, room.topic, room.owner_id) == ("design team", "Pixels & <b>fonts</b>",
                                                      alice.user_id)
    assert await Membership.exists(room_id=room_id, user_id=alice.user_id)
    page = await (await alice.get(f"/rooms/{room_id}")).get_data()
    assert select_one(page, ".room-header .room-topic").text == "Pixels & <b>fonts</b>"


async def test_a_room_needs_a_name(alice: Person) -> None:
    response = await alice.post("/rooms", {"name": "   ", "topic": "kept"})

    page = await response.get_data()
    assert response.status_code == 400
    assert select_one(page, "#name-error").text == "Give the room a name."
    assert select_one(page, "input[name=topic]")["value"] == "kept"
    assert await Room.all().count() == 1  # only General, which alice's sign-up made


async def test_directory_lists_public_rooms_with_member_counts(alice: Person, bob: Person) -> None:
    room_id = await alice.create_room("lounge")
    await bob.join(room_id)
    await alice.create_room("random")

    page = await (await bob.get("/rooms")).get_data()

    items = {select_one(str(i), ".room-title").text: i for i in select(page, ".room-item")}
    assert set(items) == {"# General", "# lounge", "# random"}
    assert "2 members" in items["# lounge"].text
    assert "2 members" in items["# General"].text  # everyone is in General
    assert "1 member ·" in items["# random"].text
    assert select(str(items["# random"]), "form button")  # bob can join random
    assert [n.text for n in select(page, ".sidebar .room-name")] == ["# General", "# lounge"]


async def test_joining_a_public_room_is_one_click_and_idempotent(alice: Person, bob: Person) -> None:
    room_id = await alice.create_room("general")

    first = await bob.join(room_id)
    second = await bob.join(room_id)

    assert first.status_code == second.status_code == 303
    assert await Membership.filter(room_id=room_id).count() == 2


async def test_a_non_member_previews_a_public_room_with_a_join_button(alice: Person,
                                                                      bob: Person) -> None:
    room_id = await alice.create_room("general")
    await alice.say(room_id, "hello")

    page = await (await bob.get(f"/rooms/{room_id}")).get_data()

    assert select_one(page, ".message .body").text == "hello"
    assert select(page, "form.join-bar") and not select(page, "#composer")


async def test_an_unknown_room_is_404(alice: Person) -> None:
    response = await alice.get("/rooms/999")

    assert response.status_code == 404
    assert select_one(await response.get_data(), ".error-page h1").text == "Not found"


async def test_room_names_are_escaped_everywhere(app: Quart, alice: Person) -> None:
    room_id = await alice.create_room("<img src=x onerror=alert(1)>")

    for path in ("/rooms", f"/rooms/{room_id}"):
        html = await (await alice.get(path)).get_data(as_text=True)
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
