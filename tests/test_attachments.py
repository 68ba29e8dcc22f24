"""Files of any type in messages: stored as sent, shown as a card, only ever downloaded."""

from __future__ import annotations

import io
import json
import os
import zipfile
from urllib.parse import quote

import pytest
from quart import Quart

from app.media.files import NAME_MAX_CHARS, content_disposition, display_name
from app.media.storage import media_path
from app.models import Attachment, MediaFile, Message
from config.settings import settings_of
from tests import images
from tests.helpers import Person, publish_key, select, select_one, start_direct, stored_files
from tests.live import frame_matching, registered, socket
from tests.mailbox import SmtpServer, eventually

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + b"0" * (1024 * 1024 + 200 * 1024)
HTML = b"<!doctype html><title>hi</title><script>alert(document.cookie)</script>"


def a_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("inside.txt", "hello")
    return out.getvalue()


def stored(app: Quart, attachment: Attachment) -> bytes:
    return media_path(settings_of(app).media_dir, attachment.key).read_bytes()


@pytest.mark.parametrize(("name", "data", "size", "label"), [
    ("report.pdf", PDF, "1.2 MB", "PDF"),
    ("photos.zip", a_zip(), None, "ZIP"),
    ("notes.txt", b"buy milk\n", "9 bytes", "TXT"),
])
async def test_a_member_posts_a_file_and_everyone_sees_its_name_and_size(
        app: Quart, alice: Person, bob: Person, room_id: int, name: str, data: bytes,
        size: str | None, label: str) -> None:
    response = await alice.post_file(room_id, data, name, "have a look")

    attachment = await Attachment.get()
    page = await (await bob.get(f"/rooms/{room_id}")).get_data()
    card = select_one(page, ".message .file-card")
    link = card.select_one("a.file-name")
    assert response.status_code == 303
    assert (attachment.name, attachment.byte_size) == (name, len(data))
    assert stored(app, attachment) == data  # kept exactly as sent
    assert stored_files(app) == {attachment.key}
    assert await MediaFile.all().count() == 0
    assert link.text == name and link["href"] == f"/files/{attachment.key}"
    assert link.has_attr("download") and link["hx-boost"] == "false"
    assert card.select_one(".file-size").text == "· " + (size or f"{len(data)} bytes")
    assert card.select_one(".file-ext").text == label
    assert select_one(page, ".message .body").text == "have a look"
    assert attachment.key not in name and "/" not in attachment.key


async def test_a_file_without_text_is_a_message(alice: Person, room_id: int) -> None:
    response = await alice.post_file(room_id, b"a,b\n1,2\n", "numbers.csv",
                                      client_msg_id="file-only-000001", htmx=True)

    article = select_one(await response.get_data(), "article#message-file-only-000001")
    assert response.status_code == 200
    assert article.select(".body") == []
    assert article.select_one(".file-card.file-sheet .file-name").text == "numbers.csv"
    assert (await Message.get()).body == ""


async def test_the_download_is_an_attachment_of_octet_stream_with_nosniff(
        alice: Person, bob: Person, private_room: int) -> None:
    await alice.post_file(private_room, PDF, "report.pdf")
    attachment = await Attachment.get()

    response = await bob.get(f"/files/{attachment.key}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"] == \
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "Expires" not in response.headers
    assert await response.get_data() == PDF


async def test_a_second_download_is_answered_with_304(alice: Person, room_id: int) -> None:
    await alice.post_file(room_id, b"v1\n", "notes.txt")
    key = (await Attachment.get()).key
    first = await alice.get(f"/files/{key}")

    again = await alice.get(f"/files/{key}", headers={"If-None-Match": first.headers["ETag"]})

    assert first.headers["ETag"]
    assert again.status_code == 304


@pytest.mark.parametrize(("name", "data"), [
    ("page.html", HTML),
    ("page.htm", HTML),
    ("drawing.svg", images.svg()),
    ("app.xhtml", b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>'),
    ("no-extension", HTML),
])
async def test_html_and_svg_files_are_never_served_inline(alice: Person, bob: Person,
                                                          room_id: int, name: str,
                                                          data: bytes) -> None:
    posted = await alice.post_file(room_id, data, name)
    attachment = await Attachment.get()

    response = await bob.get(f"/files/{attachment.key}")

    assert posted.status_code == 303
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert await response.get_data() == data


async def test_images_keep_the_image_path_through_the_same_field(alice: Person,
                                                                 room_id: int) -> None:
    await alice.post_file(room_id, images.still("PNG", (80, 60)), "screenshot.png")

    page = await (await alice.get(f"/rooms/{room_id}")).get_data()
    assert await Attachment.all().count() == 0
    assert (await MediaFile.get()).format == "PNG"
    assert select_one(page, ".message .attachment img")
    assert select(page, ".file-card") == []


@pytest.mark.parametrize(("name", "data"), [
    ("broken.png", images.truncated(images.still("PNG", (300, 300), "orange"))),
    ("polyglot.txt", images.png_html_polyglot()),  # starts like a PNG: it is checked as one
    ("holiday.jpg", images.renamed_exe()),  # named like an image
])
async def test_a_file_claiming_to_be_an_image_that_is_not_a_sound_one_is_refused(
        app: Quart, alice: Person, room_id: int, name: str, data: bytes) -> None:
    response = await alice.post_file(room_id, data, name, "kept")

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#composer-error").text.strip()
    assert await Attachment.all().count() == await Message.all().count() == 0
    assert stored_files(app) == set()


@pytest.mark.parametrize(("raw", "shown"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\secret plan.docx", "secret plan.docx"),
    ('say "hi".txt', "say _hi_.txt"),
    ("evil\r\nSet-Cookie: x=1.txt", "evil Set-Cookie_ x=1.txt"),
    ("résumé 履歴書.pdf", "résumé 履歴書.pdf"),
    ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override trick
    ("tab\tand\x00nul.txt", "tab and nul.txt"),
    ("say %22hi%22 %0D%0A.txt", "say _hi_ .txt"),  # a browser's escapes
    ("...", "file"),
    ("", "file"),
])
def test_a_file_name_is_made_safe_to_show(raw: str, shown: str) -> None:
    assert display_name(raw) == shown


def test_a_very_long_name_is_cut_keeping_its_extension() -> None:
    name = display_name("a" * 1000 + ".tar.gz")

    assert len(name) == NAME_MAX_CHARS
    assert name.endswith("….gz")


@pytest.mark.parametrize(("name", "header"), [
    ("report.pdf", "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"),
    ("résumé 履歴書.pdf", "attachment; filename=\"resume _.pdf\"; "
                        f"filename*=UTF-8''{quote('résumé 履歴書.pdf', safe='')}"),
    ("履歴書.pdf", "attachment; filename=\"download.pdf\"; "
                 f"filename*=UTF-8''{quote('履歴書.pdf', safe='')}"),
    ('a"b\\c.txt', "attachment; filename=\"c.txt\"; filename*=UTF-8''c.txt"),
    ("x;y=z,w.txt", "attachment; filename=\"x_y_z,w.txt\"; filename*=UTF-8''x%3By%3Dz%2Cw.txt"),
])
def test_the_download_header_names_the_file_safely(name: str, header: str) -> None:
    assert content_disposition(name) == header


@pytest.mark.parametrize(("raw", "shown"), [
    # As browsers send them: a quote, CR and LF in a multipart file name are %22, %0D, %0A.
    ("evil%0D%0ASet-Cookie: x=1.txt", "evil Set-Cookie_ x=1.txt"),
    ("say %22hi%22.txt", "say _hi_.txt"),
    ("../../x", "x"), ("é" * 600, "é" * (NAME_MAX_CHARS - 1) + "…"), ("a\x00b", "a b"),
    ("\u2028x", "x"),
])
async def test_hostile_names_give_a_safe_header_and_card(alice: Person, bob: Person,
                                                         room_id: int, raw: str,
                                                         shown: str) -> None:
    posted = await alice.post_file(room_id, b"data", raw)
    assert posted.status_code == 303
    attachment = await Attachment.get()

    response = await bob.get(f"/files/{attachment.key}")
    header = response.headers["Content-Disposition"]
    page = await (await bob.get(f"/rooms/{room_id}")).get_data()

    assert response.status_code == 200
    assert attachment.name == shown
    assert header.isascii() and "\r" not in header and "\n" not in header
    assert header.count('"') == 2  # the fallback's own quotes, nothing inside them
    assert "/" not in attachment.name and "\\" not in attachment.name
    assert len(attachment.name) <= NAME_MAX_CHARS
    assert select_one(page, ".file-card .file-name").text == attachment.name
    assert "Set-Cookie" not in response.headers


async def test_a_raw_line_break_in_a_multipart_file_name_is_no_server_error(
        app: Quart, alice: Person, room_id: int) -> None:
    # No browser sends this (they escape it); a hand-made request must still get a clear answer.
    response = await alice.post_file(room_id, b"data", "evil\r\nSet-Cookie: x=1.txt", "text")

    assert response.status_code < 500
    assert "Set-Cookie" not in response.headers
    assert await Attachment.filter(name__contains="\n").count() == 0


async def test_outsiders_get_404_and_logged_out_visitors_are_sent_to_log_in(
        app: Quart, alice: Person, bob: Person, mallory: Person, private_room: int) -> None:
    await alice.post_file(private_room, b"secret\n", "plans.txt")
    key = (await Attachment.get()).key

    member = await bob.get(f"/files/{key}")
    outsider = await mallory.get(f"/files/{key}")
    anonymous = await app.test_client().get(f"/files/{key}")

    assert member.status_code == 200
    assert outsider.status_code == 404 and await outsider.get_data() != b"secret\n"
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")


@pytest.mark.parametrize("key", [
    "..%2F..%2Fsecret_key", "0123456789ABCDEF0123456789ABCDEF", "%2e%2e",
    "0123456789abcdef0123456789abcdef",  # well-formed, but no such file
])
async def test_anything_but_a_stored_key_is_404(alice: Person, key: str) -> None:
    assert (await alice.get(f"/files/{key}")).status_code == 404


async def test_an_image_key_is_not_a_file_and_a_file_key_is_not_an_image(
        alice: Person, room_id: int) -> None:
    await alice.post_image(room_id, images.still("PNG"))
    await alice.post_file(room_id, HTML, "page.html")
    image_key = (await MediaFile.get()).key
    file_key = (await Attachment.get()).key

    assert (await alice.get(f"/files/{image_key}")).status_code == 404
    assert (await alice.get(f"/media/{file_key}")).status_code == 404  # never served inline


async def test_a_file_over_the_limit_is_refused_saying_the_limit_and_nothing_is_stored(
        app: Quart, alice: Person, room_id: int) -> None:
    data = os.urandom(settings_of(app).upload_max_bytes + 100 * 1024)

    response = await alice.post_file(room_id, data, "big.bin", "kept")

    page = await response.get_data()
    assert response.status_code == 400
    assert select_one(page, "#composer-error").text.strip() == \
        "That file is too large (10.1 MB): the limit is 10 MB."
    assert select_one(page, "textarea[name=body]").text == "kept"
    assert await Attachment.all().count() == await Message.all().count() == 0
    assert stored_files(app) == set()


async def test_a_body_over_the_request_limit_gets_413_saying_the_limit(
        app: Quart, alice: Person, room_id: int) -> None:
    data = os.urandom(app.config["MAX_CONTENT_LENGTH"] + 1)

    plain = await alice.post_file(room_id, data, "huge.iso")
    htmx = await alice.post_file(room_id, data, "huge.iso", htmx=True)

    assert plain.status_code == htmx.status_code == 413
    assert select_one(await htmx.get_data(), ".field-error").text == \
        "That file is too large: the limit is 10 MB."
    assert stored_files(app) == set()


async def test_an_empty_file_is_refused(app: Quart, alice: Person, room_id: int) -> None:
    response = await alice.post_file(room_id, b"", "empty.txt")

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#composer-error").text.strip() == \
        "That file is empty."
    assert stored_files(app) == set()


async def test_deleting_the_message_removes_the_file(app: Quart, alice: Person, bob: Person,
                                                     room_id: int) -> None:
    await alice.post_file(room_id, b"gone soon\n", "notes.txt", client_msg_id="file-gone-000001")
    message = await Message.get()
    key = (await Attachment.get()).key
    assert stored_files(app) == {key}

    deleted = await alice.post(f"/rooms/{room_id}/messages/{message.id}/deletion")

    assert deleted.status_code == 303
    assert stored_files(app) == set()
    assert await Attachment.all().count() == 0
    assert (await Message.get()).attachment_id is None
    assert (await bob.get(f"/files/{key}")).status_code == 404
    page = await (await bob.get(f"/rooms/{room_id}")).get_data()
    assert select(page, ".file-card") == []


async def test_a_post_without_the_csrf_token_stores_no_file(app: Quart, alice: Person,
                                                            room_id: int) -> None:
    from tests.helpers import upload

    response = await alice.client.post(f"/rooms/{room_id}/messages",
                                       form={"body": "x", "csrf_token": "forged"},
                                       files={"image": upload(b"data", "notes.txt")})

    assert response.status_code == 403
    assert await Message.all().count() == 0
    assert stored_files(app) == set()


async def test_a_non_member_cannot_post_a_file(app: Quart, mallory: Person,
                                               private_room: int, room_id: int) -> None:
    private = await mallory.post_file(private_room, b"data", "notes.txt")
    public = await mallory.post_file(room_id, b"data", "notes.txt")  # not joined

    assert private.status_code == 404
    assert public.status_code == 403
    assert stored_files(app) == set()


async def test_retrying_a_file_post_stores_it_once(app: Quart, alice: Person, room_id: int) -> None:
    first = await alice.post_file(room_id, b"once\n", "notes.txt",
                                  client_msg_id="retry-file-00001", htmx=True)
    second = await alice.post_file(room_id, b"once\n", "notes.txt",
                                   client_msg_id="retry-file-00001", htmx=True)

    assert await first.get_data() == await second.get_data()
    assert await Message.all().count() == 1
    assert stored_files(app) == {(await Attachment.get()).key}


async def test_a_plain_file_is_refused_in_a_private_conversation(app: Quart, alice: Person, bob: Person,
                                                           room_id: int) -> None:
    await publish_key(alice)
    await publish_key(bob)
    direct = await start_direct(alice, "bob")

    plain = await alice.post_file(direct, b"plain text\n", "notes.txt")
    htmx = await alice.post_file(direct, b"plain text\n", "notes.txt", htmx=True)
    page = await (await alice.get(f"/rooms/{direct}")).get_data()

    assert plain.status_code == 400
    assert htmx.status_code == 422
    assert "Files cannot be sent in private conversations" in \
        select_one(await htmx.get_data(), ".field-error").text
    assert await Message.filter(room_id=direct).count() == 0
    assert stored_files(app) == set()
    # The file control has no name: its file is encrypted by the browser, never posted as is.
    assert [field.get("name") for field in select(page, "#composer input[type=file]")] == [None]
    assert select_one(page, "#composer .attach-button")["title"].startswith(
        "Attach a file, encrypted in your browser")


async def test_a_new_file_reaches_an_open_page_live(alice: Person, bob: Person,
                                                    room_id: int) -> None:
    async with socket(bob, room_id) as ws:
        await registered(bob)

        await alice.post_file(room_id, b"%PDF-1.4\n", "minutes.pdf", client_msg_id="live-file-000001")

        frame = await frame_matching(ws, "#message-live-file-000001 .file-card")
    card = select_one(frame, "#message-live-file-000001 .file-card")
    assert card.select_one(".file-name").text == "minutes.pdf"
    assert card.select_one(".file-size").text == "· 9 bytes"


async def test_catch_up_shows_the_file(alice: Person, bob: Person, room_id: int) -> None:
    await alice.post_file(room_id, b"abc", "a.txt", client_msg_id="catch-file-00001")

    html = await (await bob.get(f"/rooms/{room_id}/messages?after=0")).get_data()

    assert select_one(html, "#message-catch-file-00001 .file-name").text == "a.txt"


async def test_exports_list_the_file_by_name_and_size(alice: Person, room_id: int) -> None:
    await alice.post_file(room_id, PDF, "report.pdf", "the report")
    key = (await Attachment.get()).key

    html = await (await alice.get(f"/rooms/{room_id}/export.html")).get_data()
    data = json.loads(await (await alice.get(f"/rooms/{room_id}/export.json")).get_data())

    assert select_one(html, ".file .file-name").text == "report.pdf"
    assert select_one(html, ".file .file-size").text == "1.2 MB"
    assert data["messages"][0]["attachment"] == {"name": "report.pdf", "size": len(PDF),
                                                 "url": f"/files/{key}"}


async def test_a_reply_to_a_file_quotes_it(alice: Person, bob: Person, room_id: int) -> None:
    await alice.post_file(room_id, b"x", "x.txt")
    original = await Message.get()

    await bob.post(f"/rooms/{room_id}/messages", {"body": "thanks", "reply_to": str(original.id)})

    page = await (await bob.get(f"/rooms/{room_id}")).get_data()
    assert select_one(page, ".message .reply-quote-text").text == "a file"


async def test_the_email_digest_says_a_file_was_sent(alice: Person, bob: Person, room_id: int,
                                                     smtp: SmtpServer) -> None:
    assert (await bob.post(f"/rooms/{room_id}/involvement",
                           {"involvement": "everything"})).status_code == 303

    await alice.post_file(room_id, b"%PDF-1.4\n", "minutes.pdf")
    await eventually(lambda: bool(smtp.inbox.to("bob@example.com")))

    [mail] = smtp.inbox.to("bob@example.com")
    assert "sent a file: minutes.pdf" in mail.text
    assert select_one(mail.html, ".item .file").text == "sent a file: minutes.pdf"
