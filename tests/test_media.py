"""Serving /media/<key>: exactly the people who may see the room, with safe headers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from quart import Quart

from app.models import MediaFile, Membership, Message, Room, RoomKind
from app.queries.messages import latest_messages
from app.rendering import render_fragment
from tests import images
from tests.helpers import Person, select_one


async def private_room_with_image(alice: Person, bob: Person) -> MediaFile:
    """A private room (alice and bob) holding one image alice posted."""
    room = await Room.create(name="secret", kind=RoomKind.PRIVATE, owner_id=alice.user_id)
    await Membership.create(room=room, user_id=alice.user_id)
    await Membership.create(room=room, user_id=bob.user_id)
    response = await alice.post_image(room.id, images.still("PNG"), "for members only")
    assert response.status_code == 303
    return await MediaFile.get(room_id=room.id)


async def test_a_member_gets_a_private_rooms_image_with_nosniff(alice: Person, bob: Person) -> None:
    media = await private_room_with_image(alice, bob)

    full = await bob.get(f"/media/{media.key}")
    thumb = await bob.get(f"/media/{media.thumb_key}")

    assert full.status_code == thumb.status_code == 200
    assert full.headers["Content-Type"] == "image/png"
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    assert full.headers["Cache-Control"] == "private, no-cache"
    assert "sandbox" in full.headers["Content-Security-Policy"]
    assert full.headers["Content-Disposition"] == f'inline; filename="{media.key}.png"'
    assert images.decode(await full.get_data()).size == (media.width, media.height)
    assert images.decode(await thumb.get_data()).size == (media.thumb_width, media.thumb_height)


async def test_an_outsider_gets_404_for_a_private_rooms_image(alice: Person, bob: Person,
                                                              mallory: Person) -> None:
    media = await private_room_with_image(alice, bob)

    full = await mallory.get(f"/media/{media.key}")
    thumb = await mallory.get(f"/media/{media.thumb_key}")

    assert full.status_code == thumb.status_code == 404
    assert full.headers["Content-Type"].startswith("text/html")


async def test_anyone_logged_in_sees_a_public_rooms_image(alice: Person, mallory: Person,
                                                          room_id: int) -> None:
    await alice.post_image(room_id, images.still("JPEG"))
    media = await MediaFile.get()

    response = await mallory.get(f"/media/{media.thumb_key}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"


async def test_a_logged_out_visitor_is_sent_to_log_in(app: Quart, alice: Person, room_id: int) -> None:
    await alice.post_image(room_id, images.still("JPEG"))
    media = await MediaFile.get()

    response = await app.test_client().get(f"/media/{media.key}")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


async def test_a_second_fetch_is_answered_with_304(alice: Person, room_id: int) -> None:
    await alice.post_image(room_id, images.still("WEBP"))
    media = await MediaFile.get()
    first = await alice.get(f"/media/{media.key}")

    again = await alice.get(f"/media/{media.key}", headers={"If-None-Match": first.headers["ETag"]})
    since = await alice.get(f"/media/{media.key}",
                            headers={"If-Modified-Since": first.headers["Last-Modified"]})

    assert first.headers["ETag"] and first.headers["Last-Modified"]
    assert again.status_code == since.status_code == 304
    assert await again.get_data() == b""


async def test_an_archived_rooms_images_are_hidden_even_from_members(alice: Person, bob: Person,
                                                                     room_id: int) -> None:
    await alice.post_image(room_id, images.still("PNG"))
    media = await MediaFile.get()
    await Room.filter(id=room_id).update(archived_at=datetime.now(UTC))

    response = await bob.get(f"/media/{media.key}")

    assert response.status_code == 404


async def test_an_image_whose_message_is_gone_is_not_served(alice: Person, bob: Person,
                                                            room_id: int) -> None:
    await alice.post_image(room_id, images.still("PNG"))
    media = await MediaFile.get()
    await Message.all().delete()

    response = await bob.get(f"/media/{media.key}")

    assert response.status_code == 404


@pytest.mark.parametrize("key", [
    "..%2F..%2Fsecret_key", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef", "%2e%2e",
    "0123456789abcdef0123456789abcdef",  # well-formed, but no such file
])
async def test_anything_but_a_stored_key_is_404(alice: Person, key: str) -> None:
    response = await alice.get(f"/media/{key}")

    assert response.status_code == 404


async def test_the_image_fragment_is_rendered_without_a_viewer(app: Quart, alice: Person,
                                                               room_id: int) -> None:
    await alice.post_image(room_id, images.still("PNG", (100, 50)), client_msg_id="no-viewer-0001")
    room = await Room.get(id=room_id)
    media = await MediaFile.get()

    async with app.app_context():
        html = await render_fragment("messages/_message.html",
                                     message=(await latest_messages(room, 1))[0])

    article = select_one(html, "#message-no-viewer-0001")
    assert article.select_one(".attachment")["href"] == f"/media/{media.key}"
    assert article.select_one(".attachment img")["src"] == f"/media/{media.thumb_key}"
    assert (article.select_one(".attachment img")["width"],
            article.select_one(".attachment img")["height"]) == ("100", "50")
    assert article.select_one(".avatar-initials").text == "A"
