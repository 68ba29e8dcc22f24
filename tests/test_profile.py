"""The profile page and profile photos: upload, square crop, display next to messages, refusals."""

from __future__ import annotations

import os

from quart import Quart

from app.models import MediaFile, MediaKind, User
from tests import images
from tests.helpers import Person, select, select_one, stored_files


async def test_the_profile_page_shows_username_email_and_initials(alice: Person) -> None:
    page = await (await alice.get("/profile")).get_data()

    form = select_one(page, "form.avatar-form")
    assert select_one(page, ".profile .username").text == "alice"
    assert select_one(page, ".profile .email .address").text == "alice@example.com"
    assert select_one(page, ".profile .email .email-status").text == "confirmed"
    assert select_one(page, ".profile-head .avatar-initials").text == "A"
    # The token rides in the action too: the upload's sender is checked before its body is read.
    assert (form["action"], form["enctype"]) == (
        f"/profile/avatar?csrf_token={await alice.csrf()}", "multipart/form-data")
    assert select_one(page, "form.avatar-form input[type=file]")["name"] == "avatar"


async def test_a_photo_becomes_a_square_avatar(app: Quart, alice: Person) -> None:
    response = await alice.upload_avatar(images.still("JPEG", (900, 300)))

    user = await User.get(id=alice.user_id)
    media = await MediaFile.get(key=user.avatar_key)
    page = await (await alice.get("/profile")).get_data()
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile"
    assert (media.kind, media.format, media.owner_id) == (MediaKind.AVATAR, "WEBP", alice.user_id)
    assert (media.width, media.height, media.thumb_width, media.thumb_height) == (256, 256, 64, 64)
    assert media.thumb_key == user.avatar_thumb_key
    assert select_one(page, ".profile-head img.avatar")["src"] == f"/media/{user.avatar_key}"
    assert select_one(page, ".topnav img.avatar")["src"] == f"/media/{user.avatar_thumb_key}"
    assert stored_files(app) == {media.key, media.thumb_key}


async def test_avatars_appear_next_to_messages(alice: Person, bob: Person, room_id: int) -> None:
    await alice.upload_avatar(images.still("PNG", (300, 300), "purple"))
    await alice.say(room_id, "with a face")
    await bob.say(room_id, "just initials")

    page = await (await bob.get(f"/rooms/{room_id}")).get_data()

    user = await User.get(id=alice.user_id)
    first, second = select(page, ".message")
    assert first.select_one("img.avatar")["src"] == f"/media/{user.avatar_thumb_key}"
    assert second.select_one(".avatar-initials").text == "B"


async def test_other_users_see_an_avatar_and_logged_out_visitors_do_not(app: Quart, alice: Person,
                                                                        mallory: Person) -> None:
    await alice.upload_avatar(images.still("PNG"))
    user = await User.get(id=alice.user_id)

    seen = await mallory.get(f"/media/{user.avatar_thumb_key}")
    anonymous = await app.test_client().get(f"/media/{user.avatar_thumb_key}")

    assert seen.status_code == 200
    assert seen.headers["Content-Type"] == "image/webp"
    assert anonymous.status_code == 302


async def test_a_new_photo_replaces_and_deletes_the_old_one(app: Quart, alice: Person) -> None:
    await alice.upload_avatar(images.still("PNG", color="red"))
    old = await User.get(id=alice.user_id)

    await alice.upload_avatar(images.still("JPEG", color="blue"))

    new = await User.get(id=alice.user_id)
    assert new.avatar_key != old.avatar_key
    assert [m.key for m in await MediaFile.all()] == [new.avatar_key]
    assert stored_files(app) == {new.avatar_key, new.avatar_thumb_key}
    assert (await alice.get(f"/media/{old.avatar_key}")).status_code == 404


async def test_a_refused_photo_says_why_and_changes_nothing(app: Quart, alice: Person) -> None:
    response = await alice.upload_avatar(images.svg(), filename="me.png")

    page = await response.get_data()
    assert response.status_code == 400
    assert select_one(page, "#avatar-error").text == \
        "SVG files are not supported. Attach a JPEG, PNG, WebP or GIF."
    assert select_one(page, "#avatar")["aria-invalid"] == "true"
    assert (await User.get(id=alice.user_id)).avatar_key is None
    assert stored_files(app) == set()


async def test_sending_the_form_without_a_file_asks_for_one(alice: Person) -> None:
    response = await alice.post("/profile/avatar", {})

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#avatar-error").text == "Choose an image to upload."


async def test_an_oversized_photo_is_refused_on_the_profile_page_with_the_limit(app: Quart,
                                                                               alice: Person) -> None:
    response = await alice.upload_avatar(os.urandom(app.config["MAX_CONTENT_LENGTH"] + 1))

    assert response.status_code == 413
    assert select_one(await response.get_data(), "#avatar-error").text == \
        "That file is too large: the limit is 10 MB."
    assert stored_files(app) == set()


async def test_the_profile_page_needs_a_login(app: Quart) -> None:
    response = await app.test_client().get("/profile")

    assert response.status_code == 302
