"""Notice frames: what a tab that does not show a new message gets, to notify about it."""

from __future__ import annotations

import json

from tests.helpers import Person, publish_key, sealed_form, select_one, start_direct
from tests.live import frame_matching, registered, socket


async def test_a_tab_on_another_page_gets_a_notice_of_a_room_message(
        alice: Person, bob: Person, room_id: int) -> None:
    async with socket(bob) as ws:  # bob's tab shows another page, not the room
        await registered(bob)

        await alice.say(room_id, "@Bob the build is green")
        frame = await frame_matching(ws, "#notices .notice")

    notice = select_one(frame, ".notice")
    assert notice["data-kind"] == "room"
    assert notice["data-room-id"] == str(room_id)
    assert notice["data-author-id"] == str(alice.user_id)
    assert notice["data-mentions"] == "bob"
    assert (notice["data-title"], notice["data-text"]) == ("alice in #general",
                                                           "@Bob the build is green")
    assert notice["data-url"] == f"/rooms/{room_id}"


async def test_messages_carry_the_names_they_mention(alice: Person, bob: Person,
                                                     room_id: int) -> None:
    await alice.say(room_id, "@bob and @carol. see @bob")

    page = await (await bob.get(f"/rooms/{room_id}")).get_data()

    assert select_one(page, ".message")["data-mentions"] == "bob carol"


async def test_a_private_message_notice_names_only_the_sender(alice: Person, bob: Person,
                                                              room_id: int) -> None:
    member_keys = [await publish_key(alice), await publish_key(bob)]
    direct = await start_direct(alice, "bob")
    form = sealed_form(member_keys[0], member_keys)
    async with socket(bob) as ws:
        await registered(bob)

        await alice.post(f"/rooms/{direct}/messages", form)
        frame = await frame_matching(ws, "#notices .notice")

    notice = select_one(frame, ".notice")
    assert (notice["data-kind"], notice["data-encrypted"]) == ("direct", "1")
    assert notice["data-text"] == "New private message from alice"
    assert notice["data-url"] == f"/rooms/{direct}"
    assert json.loads(form["envelope"])["ciphertext"] not in frame
