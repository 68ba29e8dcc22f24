"""The encrypted files of private conversations: POST /rooms/<id>/files stores an opaque blob
for the room's members only, under the upload limit, and GET /files/<key> serves it back to
them as it was sent."""

from __future__ import annotations

import os

import pytest
from quart import Quart

from app.media.files import OPAQUE_CONTENT_TYPE
from app.models import Attachment
from config.settings import settings_of
from tests.helpers import Person, publish_key, start_direct, stored_files, upload


@pytest.fixture
async def direct(alice: Person, bob: Person, room_id: int) -> int:
    """Alice's conversation with bob (both have a key)."""
    await publish_key(alice)
    await publish_key(bob)
    return await start_direct(alice, "bob")


async def send_blob(person: Person, room: int, data: bytes) -> object:
    return await person.post(f"/rooms/{room}/files", files={"blob": upload(data, "blob")})


async def test_a_member_stores_an_opaque_blob_that_every_member_downloads_as_sent(
        app: Quart, alice: Person, bob: Person, direct: int) -> None:
    blob = os.urandom(2000)

    response = await send_blob(alice, direct, blob)

    key = (await response.get_json())["key"]
    row = await Attachment.get(key=key)
    fetched = await bob.get(f"/files/{key}")
    assert response.status_code == 201
    assert (row.name, row.content_type, row.byte_size, row.room_id) == \
        ("encrypted", OPAQUE_CONTENT_TYPE, 2000, direct)
    assert fetched.status_code == 200
    assert await fetched.get_data() == blob
    assert fetched.headers["Content-Type"] == "application/octet-stream"
    assert stored_files(app) == {key}


async def test_a_non_member_can_neither_store_nor_fetch_a_blob(
        app: Quart, alice: Person, mallory: Person, direct: int) -> None:
    key = (await (await send_blob(alice, direct, os.urandom(100))).get_json())["key"]

    stored = await send_blob(mallory, direct, os.urandom(100))
    fetched = await mallory.get(f"/files/{key}")

    assert stored.status_code == 404
    assert fetched.status_code == 404
    assert stored_files(app) == {key}


async def test_a_room_that_is_not_a_private_conversation_takes_no_blob(
        app: Quart, alice: Person, room_id: int) -> None:
    response = await send_blob(alice, room_id, os.urandom(100))

    assert response.status_code == 403
    assert stored_files(app) == set()


async def test_a_blob_without_the_csrf_token_is_refused_before_anything_is_stored(
        app: Quart, alice: Person, direct: int) -> None:
    response = await alice.client.post(f"/rooms/{direct}/files?csrf_token=forged",
                                       files={"blob": upload(os.urandom(100), "blob")})

    assert response.status_code == 403
    assert stored_files(app) == set()
    assert await Attachment.all().count() == 0


@pytest.mark.parametrize(("data", "status", "says"), [
    (None, 400, "No encrypted file was sent"),
    (b"", 400, "No encrypted file was sent"),  # an empty file field is no file
    (b"x" * 16, 400, "not an encrypted file"),  # shorter than an AES-GCM tag and one byte
])
async def test_a_missing_or_short_blob_is_refused_saying_why(
        app: Quart, alice: Person, direct: int, data: bytes | None, status: int, says: str
) -> None:
    files = {} if data is None else {"blob": upload(data, "blob" if data else "")}
    response = await alice.post(f"/rooms/{direct}/files", files=files or None)

    assert response.status_code == status
    assert says in (await response.get_json())["error"]
    assert stored_files(app) == set()


async def test_a_blob_over_the_upload_limit_is_refused_saying_the_limit(
        app: Quart, alice: Person, direct: int) -> None:
    over = await send_blob(alice, direct, os.urandom(settings_of(app).upload_max_bytes + 1))
    huge = await send_blob(alice, direct, os.urandom(app.config["MAX_CONTENT_LENGTH"] + 1))

    assert over.status_code == 400
    assert "the limit is 10 MB" in (await over.get_json())["error"]
    assert huge.status_code == 413
    assert (await huge.get_json())["error"] == "That file is too large: the limit is 10 MB."
    assert stored_files(app) == set()
    assert await Attachment.all().count() == 0


async def test_an_opaque_blob_is_not_served_to_a_member_who_left(
        app: Quart, alice: Person, bob: Person, direct: int) -> None:
    key = (await (await send_blob(alice, direct, os.urandom(100))).get_json())["key"]

    left = await bob.post(f"/rooms/{direct}/membership/deletion")

    assert left.status_code == 303
    assert (await bob.get(f"/files/{key}")).status_code == 404
    assert (await alice.get(f"/files/{key}")).status_code == 200
