"""Private rooms: unlisted, invisible to outsiders, and run by their members and owner."""

from __future__ import annotations

from quart import Quart

from app.models import Invitation, Membership, Room, RoomKind
from app.queries.members import room_members
from app.rendering import render_fragment
from tests.helpers import Person, select, select_one


async def test_creating_a_private_room_makes_an_unlisted_room_with_its_owner_inside(
        alice: Person, bob: Person) -> None:
    room_id = await alice.create_room("secret plans", visibility="private")

    room = await Room.get(id=room_id)
    directory = await (await bob.get("/rooms")).get_data()
    assert (room.kind, room.owner_id) == (RoomKind.PRIVATE, alice.user_id)
    assert await Membership.exists(room_id=room_id, user_id=alice.user_id)
    assert [t.text for t in select(directory, ".room-title")] == ["# General"]  # everyone's
    sidebar = await (await alice.get("/rooms")).get_data()
    names = [n.text.split() for n in select(sidebar, ".sidebar .room-name")]
    assert names == [["#", "General"], ["Private:", "secret", "plans"]]
    assert select_one(sidebar, ".sidebar .room-name .private-mark")


async def test_the_create_form_offers_public_by_default_and_private(alice: Person) -> None:
    page = await (await alice.get("/rooms")).get_data()

    choices = {i["value"]: i.has_attr("checked") for i in select(page, "input[name=visibility]")}
    assert choices == {"public": True, "private": False}


async def test_an_unknown_visibility_is_refused(alice: Person) -> None:
    response = await alice.post("/rooms", {"name": "odd", "visibility": "secretive"})

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#visibility-error").text == \
        "Choose public or private."
    assert not await Room.exists(name="odd")


async def test_an_outsider_gets_404_for_everything_in_a_private_room(
        alice: Person, bob: Person, mallory: Person, private_room: int) -> None:
    await alice.say(private_room, "the plan")

    statuses = [(await mallory.get(f"/rooms/{private_room}")).status_code,
                (await mallory.get(f"/rooms/{private_room}/messages")).status_code,
                (await mallory.get(f"/rooms/{private_room}/messages?after=0")).status_code,
                (await mallory.join(private_room)).status_code,
                (await mallory.say(private_room, "hi")).status_code]

    assert statuses == [404] * 5


async def test_a_private_room_is_absent_from_public_lists_and_counts(
        alice: Person, bob: Person, mallory: Person, private_room: int) -> None:
    public_id = await alice.create_room("lounge")

    directory = await (await mallory.get("/rooms")).get_data()

    titles = [t.text for t in select(directory, ".room-title")]
    assert sorted(titles) == ["# General", "# lounge"]  # General: the room everyone is in
    assert "1 member ·" in select_one(directory, ".room-item:has(a[data-room-id='"
                                      f"{public_id}'])").text
    assert not select(directory, f"a[data-room-id='{private_room}']")
    assert public_id != private_room


async def test_members_see_the_member_list_with_the_owner_marked(
        alice: Person, bob: Person, private_room: int) -> None:
    page = await (await bob.get(f"/rooms/{private_room}")).get_data()

    members = select(page, ".members .member")
    assert [select_one(str(m), ".member-name").text for m in members] == ["alice", "bob"]
    assert select_one(str(members[0]), ".badge").text == "owner"
    assert select_one(page, ".members .count").text == "2"
    # bob looks at the page, so he is online; alice has no socket open
    assert [select_one(str(m), ".member-name").text for m in members
            if m.select_one(".presence.online")] == ["bob"]


async def test_the_member_list_fragment_does_not_look_at_the_viewer(app: Quart, alice: Person,
                                                                    private_room: int) -> None:
    room = await Room.get(id=private_room)
    async with app.test_request_context("/"):  # as the fan-out renders it: no viewer at all
        html = await render_fragment("rooms/_members.html", room=room,
                                     members=await room_members(room),
                                     online_user_ids={alice.user_id})

    assert [m.select_one(".member-name").text.strip() for m in select(html, ".member")
            if m.select_one(".presence.online")] == ["alice"]


async def test_room_names_topics_and_usernames_are_escaped_in_private_room_pages(
        app: Quart, alice: Person) -> None:
    evil = Person(app, "x_evil")
    await evil.sign_up()
    room_id = await alice.create_room("<script>alert(1)</script>", "<img src=x onerror=alert(2)>",
                                      visibility="private")
    await alice.invite(room_id, "x_evil")

    pages = [await (await alice.get(f"/rooms/{room_id}")).get_data(as_text=True),
             await (await evil.get("/rooms")).get_data(as_text=True)]

    for html in pages:
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


async def test_the_owner_renames_the_room_and_changes_its_topic(alice: Person, bob: Person,
                                                                private_room: int) -> None:
    response = await alice.post(f"/rooms/{private_room}", {"name": "  new   name ",
                                                           "topic": "new topic"})

    room = await Room.get(id=private_room)
    assert response.status_code == 303
    assert (room.name, room.topic) == ("new name", "new topic")


async def test_a_member_who_is_not_the_owner_cannot_rename(alice: Person, bob: Person,
                                                          private_room: int) -> None:
    response = await bob.post(f"/rooms/{private_room}", {"name": "bob's now", "topic": ""})

    assert response.status_code == 403
    assert (await Room.get(id=private_room)).name == "secret plans"
    assert not select(await (await bob.get(f"/rooms/{private_room}")).get_data(),
                      f"form[action='/rooms/{private_room}']")


async def test_renaming_to_nothing_is_refused_and_the_form_reopened(alice: Person,
                                                                   private_room: int) -> None:
    response = await alice.post(f"/rooms/{private_room}", {"name": " ", "topic": "kept"})

    page = await response.get_data()
    assert response.status_code == 400
    assert select_one(page, "details.settings").has_attr("open")
    assert select_one(page, "#name-error").text == "Give the room a name."
    assert select_one(page, "#room-topic")["value"] == "kept"
    assert (await Room.get(id=private_room)).name == "secret plans"


async def test_the_owner_removes_a_member_who_loses_access_at_once(alice: Person, bob: Person,
                                                                   private_room: int) -> None:
    response = await alice.post(f"/rooms/{private_room}/members/{bob.user_id}/removal")

    assert response.status_code == 303
    assert not await Membership.exists(room_id=private_room, user_id=bob.user_id)
    assert (await bob.get(f"/rooms/{private_room}")).status_code == 404
    assert (await bob.say(private_room, "still here?")).status_code == 404
    assert (await bob.get(f"/rooms/{private_room}/messages?after=0")).status_code == 404


async def test_a_member_cannot_remove_another_member(alice: Person, bob: Person,
                                                     private_room: int) -> None:
    response = await bob.post(f"/rooms/{private_room}/members/{alice.user_id}/removal")

    assert response.status_code == 403
    assert await Membership.filter(room_id=private_room).count() == 2


async def test_the_owner_cannot_remove_themselves_and_must_leave_instead(
        alice: Person, private_room: int) -> None:
    response = await alice.post(f"/rooms/{private_room}/members/{alice.user_id}/removal")

    assert response.status_code == 400
    assert (await Room.get(id=private_room)).owner_id == alice.user_id


async def test_a_member_leaves_and_the_room_carries_on(alice: Person, bob: Person,
                                                      private_room: int) -> None:
    response = await bob.post(f"/rooms/{private_room}/membership/deletion")

    room = await Room.get(id=private_room)
    assert response.status_code == 303
    assert response.headers["Location"] == "/rooms"
    assert (room.owner_id, room.archived_at) == (alice.user_id, None)
    assert (await bob.get(f"/rooms/{private_room}")).status_code == 404


async def test_when_the_owner_leaves_the_oldest_member_becomes_owner(
        alice: Person, bob: Person, mallory: Person, private_room: int) -> None:
    await bob.invite(private_room, "mallory")
    invitation = await Invitation.get(room_id=private_room)
    await mallory.post(f"/invitations/{invitation.id}/acceptance")

    response = await alice.post(f"/rooms/{private_room}/membership/deletion")

    page = await (await bob.get(f"/rooms/{private_room}")).get_data()
    assert response.status_code == 303
    assert (await Room.get(id=private_room)).owner_id == bob.user_id
    assert [select_one(str(m), ".member-name").text for m in select(page, ".member")] == \
        ["bob", "mallory"]
    assert select_one(page, ".member .badge").parent.select_one(".member-name").text == "bob"
    assert select(page, "details.settings")  # bob now has the owner's controls


async def test_the_last_member_leaving_archives_a_private_room_without_deleting_it(
        alice: Person, bob: Person, mallory: Person, private_room: int) -> None:
    await alice.say(private_room, "history worth keeping")
    await bob.post(f"/rooms/{private_room}/membership/deletion")
    await alice.invite(private_room, "mallory")

    response = await alice.post(f"/rooms/{private_room}/membership/deletion")

    room = await Room.get(id=private_room)
    assert response.status_code == 303
    assert room.archived_at is not None and room.owner_id is None
    assert await room.messages.all().count() == 1
    assert not await Invitation.exists(room_id=private_room)
    assert (await alice.get(f"/rooms/{private_room}")).status_code == 404
    assert not select(await (await mallory.get("/rooms")).get_data(), ".invitation")


async def test_an_empty_public_room_stays_listed_and_the_next_joiner_owns_it(
        alice: Person, bob: Person, room_id: int) -> None:
    await bob.post(f"/rooms/{room_id}/membership/deletion")
    await alice.post(f"/rooms/{room_id}/membership/deletion")

    emptied = await Room.get(id=room_id)
    await bob.join(room_id)

    assert emptied.archived_at is None and emptied.owner_id is None
    assert select(await (await bob.get("/rooms")).get_data(), ".room-item")
    assert (await Room.get(id=room_id)).owner_id == bob.user_id  # first to come back owns it


async def test_the_member_list_offers_to_message_each_member_privately(
        alice: Person, bob: Person, private_room: int) -> None:
    page = await (await alice.get(f"/rooms/{private_room}")).get_data()

    links = {a["href"] for a in select(page, ".members .dm-link")}

    assert links == {"/dm/bob"}  # nobody is offered to message themselves
