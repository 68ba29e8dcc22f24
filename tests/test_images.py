"""Images in messages: what is accepted, how it is re-encoded, and what is refused (and left behind)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from quart import Quart

from app.media.storage import media_path
from app.models import MediaFile, Message
from config.settings import settings_of
from tests import images
from tests.helpers import Person, select, select_one, stored_files

MISNAMED = ("That file is named like an image (.jpg) but is not a JPEG, PNG, WebP or GIF, so "
            "it was refused. To send it as a file, give it its real extension.")


def read_stored(app: Quart, key: str) -> bytes:
    return media_path(settings_of(app).media_dir, key).read_bytes()


@pytest.mark.parametrize(("fmt", "content_type"), [
    ("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("GIF", "image/gif"),
])
async def test_each_accepted_format_is_stored_with_a_thumbnail(app: Quart, alice: Person, room_id: int,
                                                               fmt: str, content_type: str) -> None:
    response = await alice.post_image(room_id, images.still(fmt, (1600, 1200)), "look")

    media = await MediaFile.get()
    page = await (await alice.get(f"/rooms/{room_id}")).get_data()
    link = select_one(page, ".message .attachment")
    thumb = select_one(page, ".message .attachment img")
    assert response.status_code == 303
    assert (media.format, media.content_type) == (fmt, content_type)
    assert (media.width, media.height, media.thumb_width, media.thumb_height) == (1600, 1200, 640, 480)
    assert decode_format(read_stored(app, media.key)) == fmt
    assert images.decode(read_stored(app, media.thumb_key)).size == (640, 480)
    assert stored_files(app) == {media.key, media.thumb_key}
    assert link["href"] == f"/media/{media.key}"
    assert thumb["src"] == f"/media/{media.thumb_key}"
    assert (thumb["width"], thumb["height"]) == ("320", "240")
    assert thumb["alt"] == "Image posted by alice"
    assert select_one(page, ".message .body").text == "look"


def decode_format(data: bytes) -> str | None:
    return images.decode(data).format


async def test_the_type_comes_from_the_content_not_the_name(app: Quart, alice: Person,
                                                            room_id: int) -> None:
    await alice.post_image(room_id, images.still("PNG"), filename="holiday.gif")

    media = await MediaFile.get()
    assert media.format == "PNG"
    assert decode_format(read_stored(app, media.key)) == "PNG"


async def test_an_image_without_a_caption_is_a_message(alice: Person, room_id: int) -> None:
    response = await alice.post_image(room_id, images.still("JPEG"), body="  ",
                                      client_msg_id="image-only-0001", htmx=True)

    article = select_one(await response.get_data(), "article.message")
    assert response.status_code == 200
    assert article["id"] == "message-image-only-0001"
    assert article.select(".body") == []
    assert article.select_one(".attachment img")["src"].startswith("/media/")
    assert (await Message.get()).body == ""


async def test_an_exif_rotated_jpeg_is_turned_upright_and_loses_its_gps_tags(app: Quart, alice: Person,
                                                                            room_id: int) -> None:
    original = images.rotated_jpeg_with_gps()
    assert images.decode(original).getexif().get_ifd(images.EXIF_GPS_IFD)  # the test file has GPS

    await alice.post_image(room_id, original)

    media = await MediaFile.get()
    for key in (media.key, media.thumb_key):
        data = read_stored(app, key)
        stored = images.decode(data)
        assert stored.size == (100, 200)  # portrait now: the rotation was applied to the pixels
        assert stored.getpixel((50, 10))[0] > 200  # red (the old left side) is on top
        assert stored.getpixel((50, 190))[2] > 200  # blue at the bottom
        assert not stored.getexif()
        assert b"Exif" not in data and "exif" not in stored.info
    assert (media.width, media.height) == (100, 200)


async def test_an_animated_gif_keeps_its_frames_in_both_sizes(app: Quart, alice: Person,
                                                              room_id: int) -> None:
    await alice.post_image(room_id, images.animated_gif(frames=4, size=(800, 400)))

    media = await MediaFile.get()
    full = images.decode(read_stored(app, media.key))
    thumb = images.decode(read_stored(app, media.thumb_key))
    assert media.format == "GIF"
    assert (full.n_frames, full.size) == (4, (800, 400))
    assert (thumb.n_frames, thumb.size) == (4, (640, 320))


REFUSED: list[tuple[str, Callable[[], bytes], str]] = [
    ("bomb", images.decompression_bomb,
     "That image is too large in pixels: the limit is 40 megapixels."),
    ("bomb-just-over", lambda: images.decompression_bomb(side=6_400),
     "That image is too large in pixels: the limit is 40 megapixels."),
    ("animation-over-the-pixel-cap", images.animation_bomb,
     "That image is too large in pixels: the limit is 40 megapixels, counting every frame "
     "as at least 0.1 megapixels."),
    # Named like an image but not one: refused, never kept as a file (tests/test_attachments.py
    # sends the same files under their real names).
    ("svg", images.svg, MISNAMED),
    ("polyglot", images.png_html_polyglot,
     "That file holds HTML or script as well as an image, so it was refused."),
    ("truncated-png", lambda: images.truncated(images.still("PNG", (300, 300), "orange")),
     "That image is damaged or incomplete, so it could not be read."),
    ("truncated-jpeg", lambda: images.truncated(images.still("JPEG", (300, 300))),
     "That image is damaged or incomplete, so it could not be read."),
    ("renamed-exe", images.renamed_exe, MISNAMED),
    ("html", lambda: b"<!doctype html><title>hi</title><script>alert(1)</script>", MISNAMED),
    ("pdf", lambda: b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF", MISNAMED),
    ("empty", lambda: b"", "That file is empty."),
]


@pytest.mark.parametrize(("name", "make", "message"), REFUSED, ids=[r[0] for r in REFUSED])
async def test_a_bad_file_is_refused_with_the_reason_and_leaves_nothing(
        app: Quart, alice: Person, room_id: int, name: str, make: Callable[[], bytes],
        message: str) -> None:
    response = await alice.post_image(room_id, make(), body="kept", filename=f"{name}.jpg")

    page = await response.get_data()
    assert response.status_code == 400
    assert select_one(page, "#composer-error").text.strip() == message
    assert select_one(page, "textarea[name=body]").text == "kept"
    assert select_one(page, "input[name=image]")["aria-invalid"] == "true"
    assert await Message.all().count() == 0
    assert await MediaFile.all().count() == 0
    assert stored_files(app) == set()


async def test_a_refused_image_under_htmx_keeps_the_composer(alice: Person, room_id: int) -> None:
    response = await alice.post_image(room_id, images.svg(), htmx=True)

    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#composer-error"
    assert select_one(await response.get_data(), ".field-error").text == MISNAMED


async def test_a_file_just_over_the_limit_is_refused_and_the_limit_said(app: Quart, alice: Person,
                                                                       room_id: int) -> None:
    data = os.urandom(settings_of(app).upload_max_bytes + 100 * 1024)

    response = await alice.post_image(room_id, data)

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#composer-error").text.strip() == \
        "That file is too large (10.1 MB): the limit is 10 MB."
    assert stored_files(app) == set()


async def test_a_body_over_the_request_limit_gets_413_saying_the_limit(app: Quart, alice: Person,
                                                                       room_id: int) -> None:
    data = os.urandom(app.config["MAX_CONTENT_LENGTH"] + 1)

    plain = await alice.post_image(room_id, data)
    htmx = await alice.post_image(room_id, data, htmx=True)

    assert plain.status_code == htmx.status_code == 413
    assert select_one(await plain.get_data(), ".error-page p").text == \
        "That file is too large: the limit is 10 MB."
    assert htmx.headers["HX-Retarget"] == "#composer-error"
    assert select_one(await htmx.get_data(), ".field-error").text == \
        "That file is too large: the limit is 10 MB."
    assert await Message.all().count() == 0
    assert stored_files(app) == set()


async def test_forms_without_uploads_keep_a_one_mib_limit(alice: Person) -> None:
    form = {"name": "big", "topic": "x" * (1024 * 1024 + 1), "csrf_token": await alice.csrf()}
    # Browsers send Content-Length with a form; Quart's test client does not, so say it here.
    length = len(urlencode(form))

    response = await alice.client.post("/rooms", form=form, headers={"Content-Length": str(length)})

    assert response.status_code == 413
    assert select_one(await response.get_data(), ".error-page p").text == "That request is too large."


async def test_retrying_an_image_post_stores_it_once(app: Quart, alice: Person, room_id: int) -> None:
    first = await alice.post_image(room_id, images.still("PNG"), client_msg_id="retry-img-0001",
                                   htmx=True)
    second = await alice.post_image(room_id, images.still("PNG"), client_msg_id="retry-img-0001",
                                    htmx=True)

    media = await MediaFile.get()
    assert await Message.all().count() == 1
    assert await first.get_data() == await second.get_data()
    assert stored_files(app) == {media.key, media.thumb_key}


async def test_a_message_refused_after_the_upload_leaves_no_file(app: Quart, alice: Person, bob: Person,
                                                                 room_id: int) -> None:
    await alice.say(room_id, "first", client_msg_id="taken-0000000001")

    response = await bob.post_image(room_id, images.still("JPEG"), client_msg_id="taken-0000000001")

    assert response.status_code == 400
    assert await MediaFile.all().count() == 0
    assert stored_files(app) == set()


async def test_a_non_member_cannot_post_an_image(app: Quart, alice: Person, mallory: Person,
                                                 room_id: int) -> None:
    response = await mallory.post_image(room_id, images.still("PNG"))

    assert response.status_code == 403
    assert await MediaFile.all().count() == 0
    assert stored_files(app) == set()


async def test_the_composer_is_a_multipart_form_with_one_file_field(alice: Person,
                                                                   room_id: int) -> None:
    page = await (await alice.get(f"/rooms/{room_id}")).get_data()

    form = select_one(page, "form#composer")
    field = select_one(page, "#composer input[type=file]")
    label = select_one(page, "#composer label[for=image]")
    assert form["method"] == "post"
    assert form["enctype"] == form["hx-encoding"] == "multipart/form-data"
    assert field["name"] == "image"
    assert not field.has_attr("accept")  # any file: images are shown, others downloaded
    assert label.text.strip() == "Attach a file"  # the paperclip's accessible name
    assert select(page, "#composer progress#upload-progress")


async def test_an_animation_of_many_tiny_frames_is_refused_before_any_is_decoded(
        app: Quart, alice: Person, room_id: int) -> None:
    bomb = images.animation_bomb(frames=20_000, size=(1, 1))  # ~460 KB: 20,000 1×1 frames

    response = await alice.post_image(room_id, bomb)

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#composer-error").text.strip() == \
        "That animation has too many frames: the limit is 400."
    assert await Message.all().count() == 0
    assert stored_files(app) == set()


async def test_each_frame_counts_as_at_least_a_tenth_of_a_megapixel(
        app: Quart, alice: Person, room_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.extensions, "settings",
                        replace(settings_of(app), image_max_pixels=10_000_000))
    tiny_frames = images.animation_bomb(frames=101, size=(1, 1))  # 101 × 0.1 MP > 10 MP

    refused = await alice.post_image(room_id, tiny_frames)
    accepted = await alice.post_image(room_id, images.animation_bomb(frames=99, size=(1, 1)))

    assert refused.status_code == 400
    assert select_one(await refused.get_data(), "#composer-error").text.strip() == \
        "That image is too large in pixels: the limit is 10 megapixels, counting every frame " \
        "as at least 0.1 megapixels."
    assert accepted.status_code == 303


def test_an_animation_still_decoding_at_its_deadline_is_abandoned() -> None:
    from io import BytesIO

    from PIL import Image

    from app.media.images import TOO_SLOW, Allowance, ImageRejected, _frames

    animation = Image.open(BytesIO(images.animated_gif(frames=3)))

    with pytest.raises(ImageRejected) as refused:
        _frames(animation, Allowance(seconds=-1))  # already over

    assert str(refused.value) == TOO_SLOW


async def test_one_person_sending_images_very_fast_is_slowed_with_a_clear_429(
        alice: Person, bob: Person, room_id: int) -> None:
    from app.blueprints import UPLOADS_PER_WINDOW
    from app.models import ThrottleHit

    await ThrottleHit.bulk_create([ThrottleHit(key=f"upload-user:{alice.user_id}")
                                   for _ in range(UPLOADS_PER_WINDOW)])

    refused = await alice.post_image(room_id, images.still("PNG", (64, 64)), "one more")
    others = await bob.post_image(room_id, images.still("PNG", (64, 64)), "mine")
    text_only = await alice.say(room_id, "words still go through")

    assert refused.status_code == 429
    assert select_one(await refused.get_data(), "#composer-error").text.strip() == \
        "You are uploading files very fast. Wait a few minutes, then try again."
    assert others.status_code == text_only.status_code == 303
    assert [m.body for m in await Message.all().order_by("id")] == ["mine",
                                                                     "words still go through"]
