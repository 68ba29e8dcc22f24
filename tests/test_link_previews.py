"""Link previews: a room message's first link gets a card (title, description, site, image)
fetched once per URL in the background, through the outbound address guard; the author may
remove it; direct rooms get none. Pages come from a real HTTP server on 127.0.0.1 (allowed by
the test settings' OUTBOUND_ALLOWED_NETWORKS); every refusal is shown to connect nowhere."""

from __future__ import annotations

import asyncio
import io
import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from quart import Quart

from app.models import (
    LinkPreview,
    LinkState,
    MediaFile,
    MediaKind,
    Message,
    MessageLink,
    PreviewStatus,
)
from app.outbound import OutboundGuard
from app.previews.fetch import Limits
from app.previews.worker import LinkPreviewer
from config.settings import Settings, SettingsError, attach, settings_of
from tests.helpers import Person, publish_key, sealed_form, select, select_one, start_direct
from tests.images import decode
from tests.live import frame_matching, registered
from tests.live import socket as live_socket
from tests.mailbox import eventually
from tests.outbound import Connections, StubDns
from tests.pages import Page, PageServer, og_page
from tests.test_outbound import BYPASSES, Listener

PUBLIC = "93.184.215.14"  # what the stub DNS says news.example is (routed to loopback below)


@pytest_asyncio.fixture
async def pages() -> AsyncIterator[PageServer]:
    server = PageServer()
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def listener() -> AsyncIterator[Listener]:
    listening = Listener()
    listening.server = await asyncio.start_server(listening._accept, "127.0.0.1", 0)
    yield listening
    listening.server.close()


@pytest.fixture
def previewer(app: Quart) -> Iterator[LinkPreviewer]:
    job: LinkPreviewer = app.extensions["link_previews"]
    before = job.limits
    yield job
    job.limits = before


@dataclass
class Routed(Connections):
    """Connections as the internet would route them: a public address leads to our loopback
    server (the test's stand-in for a public web site); anything else only to loopback."""

    routes: dict[str, str] = field(default_factory=dict)

    def __call__(self, address: str, port: int, timeout: float | None) -> socket.socket:
        self.attempts.append((address, port))
        target = self.routes.get(address, address)
        if not ipaddress.ip_address(target).is_loopback:
            raise ConnectionRefusedError(f"tests connect only to loopback, not {address}")
        return socket.create_connection((target, port), timeout)


@dataclass
class Strict:
    """The app's guard as production has it: no private network allowed."""

    dns: StubDns
    connections: Routed


@pytest.fixture
def strict(app: Quart) -> Iterator[Strict]:
    before: OutboundGuard = app.extensions["outbound"]
    guard = Strict(StubDns({"news.example": [PUBLIC], "intranet.example": ["10.1.2.3"]}),
                   Routed(routes={PUBLIC: "127.0.0.1"}))
    app.extensions["outbound"] = replace(before, allowed=(), resolve=guard.dns,
                                         connect=guard.connections)
    yield guard
    app.extensions["outbound"] = before


async def posted(person: Person, room_id: int, body: str) -> Message:
    """Post as `person` and return the message once its link's job is done."""
    response = await person.say(room_id, body)
    assert response.status_code == 303
    message = await Message.filter(room_id=room_id).order_by("-seq").first()
    assert message is not None and message.body == body
    await eventually(lambda: _settled(message.id))
    return message


async def _settled(message_id: int) -> bool:
    return not await MessageLink.exists(message_id=message_id, state=LinkState.PENDING)


async def card(person: Person, room_id: int, message: Message) -> list[str]:
    """The message's link preview cards on the room page, as HTML (none, or one)."""
    page = await (await person.get(f"/rooms/{room_id}")).get_data()
    return [str(tag) for tag in select(page, f"#{_dom_id(page, message)} .link-preview")]


def _dom_id(page: bytes, message: Message) -> str:
    return str(select_one(page, f"article.message[data-seq='{message.seq}']")["id"])


async def refusal(message: Message) -> str:
    link = await MessageLink.get(message_id=message.id).prefetch_related("preview")
    assert link.state == LinkState.NONE
    return link.preview.error


def cover_png() -> bytes:
    """A cover image carrying a text chunk, which re-encoding drops."""
    info = PngInfo()
    info.add_text("Comment", "tracking-pixel-id-42")
    out = io.BytesIO()
    Image.new("RGB", (600, 315), "orange").save(out, "PNG", pnginfo=info)
    return out.getvalue()


async def test_a_link_to_a_page_with_opengraph_tags_gets_a_card_with_its_image_from_our_store(
        alice: Person, bob: Person, room_id: int, pages: PageServer) -> None:
    original = cover_png()
    pages.pages["/launch"] = Page(og_page())
    pages.pages["/cover.png"] = Page(original, content_type="image/png")

    message = await posted(alice, room_id, f"Read this: {pages.url('/launch')} !")
    [shown] = await card(bob, room_id, message)

    assert select_one(shown, ".link-preview-site").text == "Example News"
    assert select_one(shown, ".link-preview-title").text == "Launch notes"
    assert select_one(shown, ".link-preview-title")["href"] == pages.url("/launch")
    assert select_one(shown, ".link-preview-description").text == "What shipped this week."
    src = select_one(shown, ".link-preview-image img")["src"]
    assert src.startswith("/media/")  # never hot-linked
    assert not [img for img in select(shown, "img") if str(pages.port) in img["src"]]
    image = await bob.get(src)
    assert image.status_code == 200 and image.mimetype == "image/png"
    served = await image.get_data()
    assert b"tracking-pixel-id-42" in original and b"tracking-pixel-id-42" not in served
    assert decode(served).size == (600, 315)  # re-encoded by Pillow, like an upload
    assert await MediaFile.filter(kind=MediaKind.PREVIEW).count() == 1
    [page_request] = pages.requests_for("/launch")
    base_url = settings_of(alice.app).base_url
    assert page_request.headers["user-agent"] == f"Parley link preview (+{base_url})"
    assert "cookie" not in page_request.headers


async def test_the_card_arrives_live_for_the_other_member(
        alice: Person, bob: Person, room_id: int, pages: PageServer) -> None:
    pages.pages["/live"] = Page(og_page(title="Live card", image=None))
    async with live_socket(bob, room_id) as ws:
        await registered(bob)

        await alice.say(room_id, f"{pages.url('/live')}")
        frame = await frame_matching(ws, ".link-preview")

    assert select_one(frame, ".link-preview-title").text == "Live card"
    assert select_one(frame, "article.message")["hx-swap-oob"] == "outerHTML"


async def test_the_post_does_not_wait_for_the_page(
        alice: Person, room_id: int, pages: PageServer, previewer: LinkPreviewer) -> None:
    pages.pages["/hangs"] = Page(stall=True)

    response = await alice.say(room_id, f"slow {pages.url('/hangs')}", htmx=True)

    assert response.status_code == 200  # answered while the page still hangs
    assert not select(await response.get_data(), ".link-preview")
    assert await MessageLink.exists(state=LinkState.PENDING)
    await eventually(lambda: len(pages.requests_for("/hangs")) == 1)


async def test_a_url_is_fetched_once_for_every_message_that_links_it(
        alice: Person, bob: Person, room_id: int, pages: PageServer) -> None:
    pages.pages["/once"] = Page(og_page(image=None))

    first = await posted(alice, room_id, f"{pages.url('/once')}")
    second = await posted(bob, room_id, f"same one: {pages.url('/once')}#section")

    assert len(pages.requests_for("/once")) == 1
    assert await card(alice, room_id, first) and await card(alice, room_id, second)
    assert await LinkPreview.all().count() == 1


async def test_a_failed_fetch_is_cached_too(alice: Person, room_id: int,
                                            pages: PageServer) -> None:
    pages.pages["/gone"] = Page(b"nope", status=500)

    await posted(alice, room_id, pages.url("/gone"))
    message = await posted(alice, room_id, pages.url("/gone"))

    assert len(pages.requests_for("/gone")) == 1
    assert await refusal(message) == "answered 500"


async def test_three_redirects_are_followed_without_carrying_cookies(
        alice: Person, room_id: int, pages: PageServer) -> None:
    for hop, following in (("/r1", "/r2"), ("/r2", "/r3"), ("/r3", "/target")):
        pages.pages[hop] = Page(status=302, headers={"Location": following,
                                                     "Set-Cookie": "session=tracked; Path=/"})
    pages.pages["/target"] = Page(og_page(title="Arrived", image=None))

    message = await posted(alice, room_id, pages.url("/r1"))

    [shown] = await card(alice, room_id, message)
    assert select_one(shown, ".link-preview-title").text == "Arrived"
    assert [r.path for r in pages.received] == ["/r1", "/r2", "/r3", "/target"]
    assert not any("cookie" in r.headers for r in pages.received)


async def test_a_fourth_redirect_is_refused(alice: Person, room_id: int,
                                            pages: PageServer) -> None:
    for hop, following in (("/r1", "/r2"), ("/r2", "/r3"), ("/r3", "/r4"), ("/r4", "/target")):
        pages.pages[hop] = Page(status=301, headers={"Location": following})
    pages.pages["/target"] = Page(og_page())

    message = await posted(alice, room_id, pages.url("/r1"))

    assert await refusal(message) == "more than 3 redirects"
    assert not pages.requests_for("/target")
    assert not await card(alice, room_id, message)


async def test_a_public_page_redirecting_to_loopback_is_refused_without_connecting(
        alice: Person, room_id: int, pages: PageServer, strict: Strict,
        listener: Listener) -> None:
    pages.pages["/bounce"] = Page(status=302, headers={
        "Location": f"http://127.0.0.1:{listener.port}/admin"})

    message = await posted(alice, room_id, pages.url("/bounce", host="news.example"))

    assert "a loopback address; Parley does not connect there" in await refusal(message)
    assert strict.connections.attempts == [(PUBLIC, pages.port)]  # the public page only
    assert listener.accepted == []


@pytest.mark.parametrize("link", [*BYPASSES.values(), "http://intranet.example:{port}/"],
                         ids=[*BYPASSES.keys(), "a name resolving to a private address"])
async def test_a_link_spelling_loopback_or_a_private_address_is_refused_without_connecting(
        alice: Person, room_id: int, strict: Strict, listener: Listener, link: str) -> None:
    url = link.format(port=listener.port).replace("/push", "/")

    message = await posted(alice, room_id, f"look [here]({url})")

    assert "Parley does not connect there" in await refusal(message)
    assert strict.connections.attempts == []
    assert listener.accepted == []
    named = "intranet.example" in url
    assert strict.dns.asked == (["intranet.example"] if named else [])


async def test_a_page_is_read_up_to_one_megabyte_and_no_further(
        alice: Person, room_id: int, pages: PageServer) -> None:
    late = b'<meta property="og:title" content="Late title">'
    pages.pages["/huge"] = Page(b"<html><head><title>Early title</title></head><body>",
                                padding_bytes=64 * 1024 * 1024)
    pages.pages["/late"] = Page(b"<html><head><title>Early title</title>" + b" " * (1 << 20)
                                + late + b"</head></html>")

    huge = await posted(alice, room_id, pages.url("/huge"))
    cut = await posted(alice, room_id, pages.url("/late"))

    for message in (huge, cut):
        [shown] = await card(alice, room_id, message)
        assert select_one(shown, ".link-preview-title").text == "Early title"
    await eventually(lambda: pages.cut_short == ["/huge"])  # it stopped reading the 64 MB


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/pdf", b"%PDF-1.7 <title>not a page</title>"),
    ("image/png", b"<title>not a page either</title>"),
    ("text/plain", b"<title>plain text</title>"),
])
async def test_anything_but_html_gets_no_card(alice: Person, room_id: int, pages: PageServer,
                                              content_type: str, body: bytes) -> None:
    pages.pages["/file"] = Page(body, content_type=content_type)

    message = await posted(alice, room_id, pages.url("/file"))

    assert (await refusal(message)).startswith("not a page or image Parley shows")
    assert not await card(alice, room_id, message)


async def test_an_image_that_is_not_one_leaves_a_card_without_image(
        alice: Person, room_id: int, pages: PageServer) -> None:
    pages.pages["/page"] = Page(og_page(image="/fake.png"))
    pages.pages["/fake.png"] = Page(b"<html><script>alert(1)</script></html>",
                                    content_type="image/png")

    message = await posted(alice, room_id, pages.url("/page"))

    [shown] = await card(alice, room_id, message)
    assert not select(shown, ".link-preview-image")
    assert await MediaFile.all().count() == 0


async def test_a_server_that_hangs_times_out_leaving_the_message_intact(
        alice: Person, bob: Person, room_id: int, pages: PageServer,
        previewer: LinkPreviewer) -> None:
    previewer.limits = Limits(seconds=0.5)  # 5 s in production
    pages.pages["/hangs"] = Page(stall=True)

    message = await posted(alice, room_id, f"still here {pages.url('/hangs')}")

    assert await refusal(message) == "timed out"
    page = await (await bob.get(f"/rooms/{room_id}")).get_data()
    shown = str(select_one(page, f"#{_dom_id(page, message)}"))
    assert select_one(shown, ".body").text.strip() == f"still here {pages.url('/hangs')}"
    assert not select(shown, ".link-preview")


async def test_a_server_that_trickles_is_cut_at_the_deadline_not_per_read(
        alice: Person, room_id: int, pages: PageServer, previewer: LinkPreviewer) -> None:
    previewer.limits = Limits(seconds=0.5)  # 5 s in production
    pages.pages["/trickle"] = Page(b"<html><head><title>Never done</title>", trickle=True)

    message = await posted(alice, room_id, pages.url("/trickle"))

    assert await refusal(message) == "timed out"


async def test_the_author_removes_the_card_for_good(alice: Person, bob: Person, room_id: int,
                                                    pages: PageServer) -> None:
    pages.pages["/page"] = Page(og_page(image=None))
    message = await posted(alice, room_id, pages.url("/page"))
    page = await (await alice.get(f"/rooms/{room_id}")).get_data()
    form = select_one(page, f"#{_dom_id(page, message)} .link-preview-remove")
    assert select(str(form), "input[name=csrf_token]")

    response = await alice.post(form["action"])

    assert response.status_code == 303
    assert not await card(bob, room_id, message)
    await alice.post(f"/rooms/{room_id}/messages/{message.id}",
                     {"body": f"edited, same link {pages.url('/page')}"})
    assert not await card(bob, room_id, message)  # stays removed


async def test_the_author_removes_the_card_with_htmx_and_it_goes_live(
        alice: Person, bob: Person, room_id: int, pages: PageServer) -> None:
    pages.pages["/page"] = Page(og_page(image=None))
    message = await posted(alice, room_id, pages.url("/page"))
    path = f"/rooms/{room_id}/messages/{message.id}/link-preview/deletion"
    async with live_socket(bob, room_id) as ws:
        await registered(bob)

        response = await alice.post(path, htmx=True)
        frame = await frame_matching(ws, "article.message")

    assert response.status_code == 200 and not select(await response.get_data(), ".link-preview")
    assert not select(frame, ".link-preview")


async def test_only_the_author_may_remove_the_card(alice: Person, bob: Person, mallory: Person,
                                                   room_id: int, pages: PageServer) -> None:
    pages.pages["/page"] = Page(og_page(image=None))
    message = await posted(alice, room_id, pages.url("/page"))
    path = f"/rooms/{room_id}/messages/{message.id}/link-preview/deletion"

    by_member = await bob.post(path)
    by_outsider = await mallory.post(path)
    without_token = await alice.client.post(path, form={})

    assert (by_member.status_code, by_outsider.status_code, without_token.status_code) == \
        (403, 403, 403)
    assert await card(bob, room_id, message)
    assert await MessageLink.exists(message_id=message.id, state=LinkState.SHOWN)


async def test_a_changed_link_gets_its_own_card(alice: Person, room_id: int,
                                                pages: PageServer) -> None:
    pages.pages["/one"] = Page(og_page(title="One", image=None))
    pages.pages["/two"] = Page(og_page(title="Two", image=None))
    message = await posted(alice, room_id, pages.url("/one"))

    await alice.post(f"/rooms/{room_id}/messages/{message.id}", {"body": pages.url("/two")})
    await eventually(lambda: _settled(message.id))

    [shown] = await card(alice, room_id, message)
    assert select_one(shown, ".link-preview-title").text == "Two"


async def test_a_direct_room_message_fetches_nothing(alice: Person, bob: Person,
                                                     pages: PageServer) -> None:
    pages.pages["/secret"] = Page(og_page())
    alice_key, bob_key = await publish_key(alice), await publish_key(bob)
    room = await start_direct(alice, "bob")

    response = await alice.post(f"/rooms/{room}/messages", sealed_form(alice_key,
                                                                       [alice_key, bob_key]))

    assert response.status_code == 303
    assert not await MessageLink.exists()
    assert pages.received == []
    page = await (await alice.get(f"/rooms/{room}")).get_data()
    assert "never learns what you link to" in select_one(page, ".no-link-previews").text


async def test_link_previews_off_fetches_nothing(app: Quart, alice: Person, room_id: int,
                                                 pages: PageServer) -> None:
    pages.pages["/page"] = Page(og_page())
    before = settings_of(app)
    attach(app, replace(before, link_previews=False))
    try:
        await alice.say(room_id, pages.url("/page"))
    finally:
        attach(app, before)

    assert not await MessageLink.exists()
    assert pages.received == []


async def test_an_outsider_cannot_fetch_a_private_rooms_card_image(
        alice: Person, mallory: Person, private_room: int, pages: PageServer) -> None:
    pages.pages["/page"] = Page(og_page())
    pages.pages["/cover.png"] = Page(cover_png(), content_type="image/png")
    message = await posted(alice, private_room, pages.url("/page"))
    [shown] = await card(alice, private_room, message)
    src = select_one(shown, ".link-preview-image img")["src"]

    assert (await alice.get(src)).status_code == 200
    assert (await mallory.get(src)).status_code == 404


def test_link_previews_are_on_unless_turned_off() -> None:
    assert Settings.from_env({}).link_previews is True
    assert Settings.from_env({"LINK_PREVIEWS": "off"}).link_previews is False
    with pytest.raises(SettingsError, match="LINK_PREVIEWS"):
        Settings.from_env({"LINK_PREVIEWS": "sometimes"})


async def test_a_url_another_process_is_fetching_is_not_fetched_twice(
        alice: Person, room_id: int, pages: PageServer) -> None:
    url = pages.url("/popular")
    pages.pages["/popular"] = Page(og_page(image=None))
    elsewhere = await LinkPreview.create(url=url, status=PreviewStatus.FETCHING,
                                         fetched_at=datetime.now(UTC))

    await alice.say(room_id, url)
    message = await Message.get(room_id=room_id, seq=1)
    await eventually(lambda: _postponed(message.id))  # looked at it, saw it busy, put it off
    elsewhere.status, elsewhere.title = PreviewStatus.OK, "Fetched by the other process"
    await elsewhere.save()
    await eventually(lambda: _settled(message.id))

    [shown] = await card(alice, room_id, message)
    assert select_one(shown, ".link-preview-title").text == "Fetched by the other process"
    assert pages.received == []


async def _postponed(message_id: int) -> bool:
    link = await MessageLink.get(message_id=message_id)
    return link.state == LinkState.PENDING and link.not_before > datetime.now(UTC)


async def test_markup_in_a_pages_tags_is_shown_as_text(alice: Person, room_id: int,
                                                       pages: PageServer) -> None:
    pages.pages["/xss"] = Page(og_page(title="&lt;img src=x onerror=alert(1)&gt;",
                                       description="<b>bold?</b>", image="javascript:alert(1)"))

    message = await posted(alice, room_id, pages.url("/xss"))

    [shown] = await card(alice, room_id, message)
    assert select_one(shown, ".link-preview-title").text == "<img src=x onerror=alert(1)>"
    assert not select(shown, "img") and not select(shown, "b")


async def test_an_image_over_one_megabyte_is_left_out(alice: Person, room_id: int,
                                                      pages: PageServer) -> None:
    noise = io.BytesIO()
    Image.frombytes("RGB", (800, 600), os.urandom(800 * 600 * 3)).save(noise, "PNG")
    assert len(noise.getvalue()) > 1024 * 1024
    pages.pages["/page"] = Page(og_page(image="/noise.png"))
    pages.pages["/noise.png"] = Page(noise.getvalue(), content_type="image/png")

    message = await posted(alice, room_id, pages.url("/page"))

    [shown] = await card(alice, room_id, message)
    assert not select(shown, ".link-preview-image")
    assert await MediaFile.all().count() == 0


async def test_a_square_image_is_a_small_thumbnail_beside_the_text(
        alice: Person, room_id: int, pages: PageServer) -> None:
    square = io.BytesIO()
    Image.new("RGB", (400, 400), "teal").save(square, "PNG")
    pages.pages["/repo"] = Page(og_page(image="/logo.png"))
    pages.pages["/logo.png"] = Page(square.getvalue(), content_type="image/png")

    message = await posted(alice, room_id, pages.url("/repo"))

    [shown] = await card(alice, room_id, message)
    assert "with-thumb" in select_one(shown, ".link-preview")["class"]
    img = select_one(shown, ".link-preview-image img")
    assert (img["width"], img["height"]) == ("72", "72")  # its box reserved: no jump
