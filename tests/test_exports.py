"""Room export: one self-contained HTML file and JSON, matching the history, escaped."""

from __future__ import annotations

import json

from app.models import Message, Room
from app.queries import exports
from tests.helpers import Person, select, select_one
from tests.images import still

XSS = '<img src=x onerror="alert(1)">'


async def test_the_html_export_matches_the_history_and_is_escaped(alice: Person, bob: Person) -> None:
    room_id = await alice.create_room(f"plans {XSS}")
    await bob.join(room_id)
    await alice.say(room_id, f"hello {XSS}")
    await bob.post_image(room_id, still("PNG", (60, 40)), body="a picture")
    await bob.say(room_id, "to delete", client_msg_id="export-del-00001")
    doomed = await Message.get(client_msg_id="export-del-00001")
    await bob.post(f"/rooms/{room_id}/messages/{doomed.id}/deletion")

    response = await bob.get(f"/rooms/{room_id}/export.html")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    html = await response.get_data()
    assert select_one(html, "h1").text == f"# plans {XSS}"
    bodies = [node.text for node in select(html, "li.message .body")]
    assert bodies == [f"hello {XSS}", "a picture", "Message deleted."]
    images = select(html, "li.message img")
    assert len(images) == 1 and images[0]["src"].startswith("data:image/png;base64,")
    assert select(html, "img[onerror]") == [] and select(html, "script") == []
    assert select(html, "link[rel=stylesheet]") == []  # self-contained: CSS is inline


async def test_the_json_export_lists_every_message_in_order(alice: Person, bob: Person,
                                                           room_id: int) -> None:
    for n in range(3):
        await alice.say(room_id, f"message {n} {XSS}")

    response = await bob.get(f"/rooms/{room_id}/export.json")

    data = json.loads(await response.get_data())
    assert data["room"]["name"] == "general"
    assert [(m["seq"], m["author"], m["body"]) for m in data["messages"]] == \
        [(n + 1, "alice", f"message {n} {XSS}") for n in range(3)]
    assert response.headers["Content-Disposition"].endswith('.json"')


async def test_the_export_pages_through_a_long_history(alice: Person, room_id: int) -> None:
    for n in range(7):
        await alice.say(room_id, f"m{n}")
    room = await Room.get(id=room_id)

    pages = [len(page) async for page in exports.history_pages(room, page=3)]

    assert pages == [3, 3, 1]


async def test_an_outsider_cannot_export_a_private_room(mallory: Person, private_room: int) -> None:
    assert (await mallory.get(f"/rooms/{private_room}/export.html")).status_code == 404
    assert (await mallory.get(f"/rooms/{private_room}/export.json")).status_code == 404


async def test_each_export_names_its_charset_once(alice: Person, room_id: int) -> None:
    html = await alice.get(f"/rooms/{room_id}/export.html")
    as_json = await alice.get(f"/rooms/{room_id}/export.json")

    assert html.headers["Content-Type"] == "text/html; charset=utf-8"
    assert as_json.headers["Content-Type"] == "application/json; charset=utf-8"
