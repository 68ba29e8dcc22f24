"""Editing and deleting messages, their history, reactions, pushed live and carried by catch-up."""

from __future__ import annotations

from quart import Quart

from app.models import Message
from tests.helpers import Person, select, select_one, stored_files
from tests.images import still
from tests.live import frame_matching, registered, socket


async def _posted(person: Person, room_id: int, body: str, client_msg_id: str) -> Message:
    response = await person.say(room_id, body, client_msg_id=client_msg_id)
    assert response.status_code == 303
    return await Message.get(client_msg_id=client_msg_id)


def _path(room_id: int, message: Message, suffix: str = "") -> str:
    return f"/rooms/{room_id}/messages/{message.id}{suffix}"


async def test_the_author_edits_a_message_and_it_shows_edited(alice: Person, room_id: int) -> None:
    message = await _posted(alice, room_id, "helo", "edit-000000000001")

    response = await alice.post(_path(room_id, message), {"body": "hello"}, htmx=True)

    assert response.status_code == 200
    html = await response.get_data()
    assert select_one(html, "#message-edit-000000000001 .body").text == "hello"
    assert select_one(html, "#message-edit-000000000001 .edited time")["datetime"]
    assert "hx-swap-oob" not in select_one(html, "article").attrs


async def test_a_member_who_did_not_write_it_cannot_edit(alice: Person, bob: Person,
                                                          room_id: int) -> None:
    message = await _posted(alice, room_id, "mine", "edit-000000000002")

    response = await bob.post(_path(room_id, message), {"body": "yours now"})

    assert response.status_code == 403
    assert (await Message.get(id=message.id)).body == "mine"


async def test_an_outsider_gets_404_for_a_private_rooms_message(alice: Person, mallory: Person,
                                                                  private_room: int) -> None:
    message = await _posted(alice, private_room, "secret", "edit-000000000003")

    for path in (_path(private_room, message), _path(private_room, message, "/deletion")):
        assert (await mallory.post(path, {"body": "x"})).status_code == 404
    assert (await mallory.get(_path(private_room, message, "/revisions"))).status_code == 404


async def test_edit_history_keeps_every_earlier_text(alice: Person, bob: Person,
                                                     room_id: int) -> None:
    message = await _posted(alice, room_id, "first <b>", "edit-000000000004")
    await alice.post(_path(room_id, message), {"body": "second"})
    await alice.post(_path(room_id, message), {"body": "third"})

    page = await (await bob.get(_path(room_id, message, "/revisions"))).get_data()

    texts = [node.text for node in select(page, ".revision .body")]
    assert texts == ["first <b>", "second", "third"]


async def test_an_empty_edit_is_refused_and_keeps_the_text(alice: Person, room_id: int) -> None:
    message = await _posted(alice, room_id, "keep me", "edit-000000000005")

    response = await alice.post(_path(room_id, message), {"body": "   "})

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#body-error").text
    assert (await Message.get(id=message.id)).body == "keep me"


async def test_the_edit_page_works_without_javascript(alice: Person, room_id: int) -> None:
    message = await _posted(alice, room_id, "draft", "edit-000000000006")

    page = await (await alice.get(_path(room_id, message, "/edit"))).get_data()
    form = select_one(page, "form.edit-form")
    response = await alice.post(form["action"], {"body": "final"})

    assert response.status_code == 303
    assert (await Message.get(id=message.id)).body == "final"


async def test_the_author_deletes_and_a_tombstone_stays(alice: Person, room_id: int) -> None:
    message = await _posted(alice, room_id, "oops", "edit-000000000007")

    response = await alice.post(_path(room_id, message, "/deletion"), htmx=True)

    html = await response.get_data()
    assert select_one(html, "#message-edit-000000000007 .tombstone").text == "Message deleted."
    row = await Message.get(id=message.id)
    assert row.body == "" and row.deleted_at is not None and row.seq == 1


async def test_deleting_removes_the_image_files(app: Quart, alice: Person, room_id: int) -> None:
    await alice.post_image(room_id, still("PNG", (60, 40)), client_msg_id="edit-image-00001")
    message = await Message.get(client_msg_id="edit-image-00001")
    assert stored_files(app)

    await alice.post(_path(room_id, message, "/deletion"))

    assert stored_files(app) == set()
    assert (await Message.get(id=message.id)).image_id is None


async def test_the_room_owner_deletes_someone_elses_message(alice: Person, bob: Person,
                                                             room_id: int) -> None:
    message = await _posted(bob, room_id, "off topic", "edit-000000000008")

    response = await alice.post(_path(room_id, message, "/deletion"))

    assert response.status_code == 303
    assert (await Message.get(id=message.id)).deleted_at is not None


async def test_a_member_cannot_delete_someone_elses_message(alice: Person, bob: Person,
                                                             room_id: int) -> None:
    message = await _posted(alice, room_id, "stays", "edit-000000000009")

    response = await bob.post(_path(room_id, message, "/deletion"))

    assert response.status_code == 403
    assert (await Message.get(id=message.id)).deleted_at is None


async def test_an_edit_is_pushed_live_as_an_in_place_replacement(alice: Person, bob: Person,
                                                                  room_id: int) -> None:
    message = await _posted(alice, room_id, "before", "edit-live-000001")
    async with socket(bob, room_id) as ws:
        await registered(bob)

        await alice.post(_path(room_id, message), {"body": "after"})

        frame = await frame_matching(ws, "article#message-edit-live-000001")
    article = select_one(frame, "article#message-edit-live-000001")
    assert article["hx-swap-oob"] == "outerHTML"
    assert select_one(frame, ".body").text == "after"


async def test_a_deletion_is_pushed_live(alice: Person, bob: Person, room_id: int) -> None:
    message = await _posted(bob, room_id, "gone soon", "edit-live-000002")
    async with socket(alice, room_id) as ws:
        await registered(alice)

        await bob.post(_path(room_id, message, "/deletion"))

        frame = await frame_matching(ws, "article#message-edit-live-000002 .tombstone")
    assert "gone soon" not in frame


async def test_catch_up_carries_edits_and_deletions_made_while_away(alice: Person, bob: Person,
                                                                    room_id: int) -> None:
    edited = await _posted(alice, room_id, "one", "edit-catch-00001")
    deleted = await _posted(alice, room_id, "two", "edit-catch-00002")
    await _posted(alice, room_id, "three", "edit-catch-00003")
    first = await bob.get(f"/rooms/{room_id}/messages?after=3&changes=0")
    counter = int(first.headers["X-Parley-Change-Seq"])

    await alice.post(_path(room_id, edited), {"body": "one, edited"})
    await alice.post(_path(room_id, deleted, "/deletion"))
    await _posted(alice, room_id, "four", "edit-catch-00004")
    response = await bob.get(f"/rooms/{room_id}/messages?after=3&changes={counter}")

    html = await response.get_data()
    ids = [node["id"] for node in select(html, "article.message")]
    assert ids == ["message-edit-catch-00004", "message-edit-catch-00001",
                   "message-edit-catch-00002"]
    assert select_one(html, "#message-edit-catch-00001 .body").text == "one, edited"
    assert select(html, "#message-edit-catch-00002 .tombstone")
    assert int(response.headers["X-Parley-Change-Seq"]) == counter + 2
    again = await bob.get(f"/rooms/{room_id}/messages?after=4&changes={counter + 2}")
    assert select(await again.get_data(), "article.message") == []


async def test_the_boosted_edit_page_form_navigates_back_to_the_room(alice: Person,
                                                                     room_id: int) -> None:
    message = await _posted(alice, room_id, "draft", "edit-000000000010")

    response = await alice.post(_path(room_id, message), {"body": "final"}, htmx=True,
                                headers={"HX-Boosted": "true"})

    assert response.status_code == 303
