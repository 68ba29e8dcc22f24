"""Membership changes reach open sockets at once: invitations, acceptance, removal."""

from __future__ import annotations

from tests.helpers import Person, select, select_one
from tests.live import frame_matching, next_frame, registered, socket


async def test_an_invitation_appears_live_on_the_invitees_page(alice: Person, bob: Person) -> None:
    room_id = await alice.create_room("plans", visibility="private")
    async with socket(bob) as ws:
        await registered(bob)

        await alice.invite(room_id, "bob")

        frame = await frame_matching(ws, "#invitations")
    section = select_one(frame, "#invitations")
    assert section["hx-swap-oob"] == "true" and not section.has_attr("hidden")
    assert select_one(frame, ".invitation .room-name").text == "plans"
    assert select(frame, ".invitation form[action$='/acceptance']")


async def test_accepting_subscribes_the_open_sockets_to_the_room(alice: Person, bob: Person,
                                                                 private_room: int) -> None:
    carol = Person(alice.app, "carol")
    await carol.sign_up()
    async with socket(carol) as ws:
        await registered(carol)
        await alice.invite(private_room, "carol")
        await frame_matching(ws, "#invitations")
        page = await (await carol.get("/rooms")).get_data()
        await carol.post(select_one(page, ".invitation form[action$='/acceptance']")["action"])
        listed = await frame_matching(ws, f"#sidebar-rooms a[data-room-id='{private_room}']")

        await alice.say(private_room, "welcome @carol")

        badge = await frame_matching(ws, f"span#room-{private_room}-unread[hx-swap-oob]")
    assert select_one(listed, "#sidebar-rooms")["hx-swap-oob"] == "true"  # her sidebar lists it
    assert select_one(badge, ".count").text == "1"  # a mention: counted at the default involvement


async def test_a_removed_member_gets_no_further_frame_of_the_room(alice: Person, bob: Person,
                                                                  private_room: int) -> None:
    other_room = await alice.create_room("another", visibility="private")
    async with socket(bob, private_room) as ws:
        await registered(bob)

        removal = await alice.post(f"/rooms/{private_room}/members/{bob.user_id}/removal")
        notice = await frame_matching(ws, "#composer")
        await alice.say(private_room, "said after bob left")
        await alice.invite(other_room, "bob")  # a later event on bob's own channel
        following = await next_frame(ws)

    assert removal.status_code == 303
    assert "no longer a member" in select_one(notice, "#composer").text
    assert "said after bob left" not in following
    assert select(following, "#invitations")
