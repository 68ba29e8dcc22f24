"""Slack-compatible incoming webhooks: mrkdwn, blocks and attachments show as Slack shows them.

Posted with the real slack_sdk WebhookClient over a real loopback HTTP server (the test app
served by Hypercorn), and with Grafana's and Alertmanager's Slack payloads (tests/data/).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from bs4 import BeautifulSoup, Tag
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart
from slack_sdk.webhook import WebhookClient, WebhookResponse

from app.formatting import render_markdown
from app.mentions import mentioned_names
from app.models import Delivery, Message
from app.slack_payload import PayloadRefused, payload_markdown
from tests.helpers import Person, select_one
from tests.server import free_port

DATA = Path(__file__).parent / "data"


def _html(payload: dict[str, Any], members: tuple[str, ...] = ("bob",)) -> BeautifulSoup:
    return BeautifulSoup(str(render_markdown(payload_markdown(payload, members))), "html.parser")


# -- mrkdwn, blocks and attachments as Markdown (no server) --------------------------------------

def test_mrkdwn_links_bold_italic_strike_and_code_show_as_in_slack() -> None:
    soup = _html({"text": "Deploy <https://x.io/a?b=1&amp;c=2|v1.2 notes> *done* _today_ "
                          "~not yesterday~ `make *all*` &lt;ok&gt; &amp; fine"})

    link = soup.find("a")
    assert (link["href"], link.text) == ("https://x.io/a?b=1&c=2", "v1.2 notes")
    assert soup.find("strong").text == "done"
    assert soup.find("em").text == "today"
    assert soup.find("s").text == "not yesterday"
    assert soup.find("code").text == "make *all*"
    assert soup.p.text.endswith("<ok> & fine")


def test_quotes_code_blocks_and_line_breaks_are_kept() -> None:
    soup = _html({"text": "&gt; quoted *line*\nafter\n```\nif a &lt; b:\n    go()\n```\n- not a list"})

    assert soup.blockquote.text.strip() == "quoted line"
    assert soup.blockquote.strong.text == "line"
    assert soup.pre.text == "if a < b:\n    go()\n"
    assert "- not a list" in soup.text and not soup.find("li")


def test_room_wide_mentions_users_and_channels_are_translated() -> None:
    body = payload_markdown({"text": "<!channel> <!here> <@bob> <@U024BE7LH|bob> <@ghost> "
                                     "in <#C024BE7LH|general> <!subteam^S1|@oncall>"}, ("Bob",))
    soup = BeautifulSoup(str(render_markdown(body)), "html.parser")

    assert [s.text for s in soup.find_all("strong")] == ["@channel", "@here"]
    assert [m["data-username"] for m in soup.find_all("span", class_="mention")] == ["bob", "bob"]
    assert "@ghost" in soup.text and "#general" in soup.text and "@oncall" in soup.text
    assert mentioned_names(body) == {"bob"}  # only the member is mentioned (and e-mailed)


def test_a_payload_can_add_no_link_markup_or_formatting_beyond_its_mrkdwn() -> None:
    soup = _html({"text": "[x](https://evil.example) <script>alert(1)</script> **two** "
                          "<javascript:alert(1)|click> ![i](https://evil.example/i.png) "
                          "&lt;img src=x onerror=alert(1)&gt; \\*not\\* &amp;lt;"},
                 members=())

    assert not soup.find(["script", "img"])
    # Bare URLs are linked, as Slack links them, but only ever under their own address.
    assert all(a.text == a["href"] for a in soup.find_all("a"))
    assert "[x](https://evil.example)" in soup.text and "&lt;" in soup.text
    assert "<javascript:alert(1)|click>" in soup.text


def test_blocks_render_header_section_fields_context_divider_image_and_actions() -> None:
    soup = _html({"text": "fallback only", "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Release *3.1*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Shipped* to <https://x.io|prod>"},
         "fields": [{"type": "mrkdwn", "text": "*Owner*\nbob"},
                    {"type": "plain_text", "text": "2 services"}],
         "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Open"},
                       "url": "https://x.io/open"}},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "image", "image_url": "https://x.io/i.png",
                                          "alt_text": "CI"},
                                         {"type": "mrkdwn", "text": "built by _ci_"}]},
        {"type": "image", "image_url": "https://x.io/graph.png", "alt_text": "the graph"},
        {"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Logs"},
             "url": "https://x.io/logs"},
            {"type": "button", "text": {"type": "plain_text", "text": "Ack"}, "value": "ack"}]},
        {"type": "made_up"}, "not a block"]})

    assert "fallback only" not in soup.text  # with blocks, text is only the notification's
    assert soup.find("strong").text == "Release *3.1*"
    links = {a.text: a["href"] for a in soup.find_all("a")}
    assert links == {"prod": "https://x.io", "Open": "https://x.io/open",
                     "the graph": "https://x.io/graph.png", "Logs": "https://x.io/logs"}
    assert [li.text.strip() for li in soup.find_all("li")] == ["Owner\nbob", "2 services"]
    assert "———" in soup.text and "CI · built by ci" in soup.text
    assert "Ack" not in soup.text and not soup.find("img")


def test_rich_text_blocks_render_their_styles_lists_and_quotes() -> None:
    soup = _html({"blocks": [{"type": "rich_text", "elements": [
        {"type": "rich_text_section", "elements": [
            {"type": "text", "text": "Hi "}, {"type": "user", "user_id": "bob"},
            {"type": "text", "text": " bold", "style": {"bold": True}},
            {"type": "link", "url": "https://x.io", "text": "site"},
            {"type": "emoji", "name": "tada"}]},
        {"type": "rich_text_list", "style": "bullet", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]},
            {"type": "rich_text_section", "elements": [{"type": "text", "text": "two"}]}]},
        {"type": "rich_text_quote", "elements": [{"type": "text", "text": "wise words"}]},
        {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "a <b>"}]}]}]})

    assert soup.find("span", class_="mention")["data-username"] == "bob"
    assert soup.find("strong").text == "bold" and soup.find("a")["href"] == "https://x.io"
    assert "🎉" in soup.text
    assert [li.text for li in soup.find_all("li")] == ["one", "two"]
    assert soup.blockquote.text.strip() == "wise words" and soup.pre.text == "a <b>\n"


def test_an_attachment_is_a_card_with_its_colour_title_text_fields_and_footer() -> None:
    soup = _html({"text": "Nightly build", "attachments": [{
        "color": "#36a64f", "pretext": "Heads up *team*", "author_name": "CI",
        "title": "Build <42> passed", "title_link": "https://ci.example/42",
        "text": "All *green*", "footer": "Jenkins", "ts": 1765080000,
        "fields": [{"title": "Branch", "value": "`main`", "short": True}]}]})

    first, pretext, card = soup.find_all("p")[0], soup.find_all("p")[1], soup.blockquote
    assert first.text == "Nightly build" and pretext.strong.text == "team"
    assert card.text.strip().startswith("🟢 CI")
    title = card.find("a")
    assert (title.text, title["href"], title.parent.name) == (
        "Build <42> passed", "https://ci.example/42", "strong")
    assert card.find("li").text == "Branch: main" and card.find("li").code.text == "main"
    assert "All green" in card.text and "Jenkins · 2025-12-07 04:00 UTC" in card.text


@pytest.mark.parametrize(("colour", "dot"), [("danger", "🔴"), ("warning", "🟡"), ("good", "🟢"),
                                             ("#D63232", "🔴"), ("#439FE0", "🔵"), ("#ff9900", "🟠"),
                                             ("#888", "⚪"), ("bogus", "")])
def test_an_attachments_colour_becomes_the_nearest_coloured_dot(colour: str, dot: str) -> None:
    body = payload_markdown({"attachments": [{"color": colour, "text": "x"}]})

    assert body == (f"> {dot} x" if dot else "> x")


def test_payloads_with_wrong_types_or_nothing_to_show_are_refused() -> None:
    refused = {}
    for name, payload in {"no text": {"username": "x"}, "blank": {"text": "  "},
                          "empty blocks": {"blocks": []},
                          "button only": {"blocks": [{"type": "actions", "elements": [
                              {"type": "button", "text": {"type": "plain_text", "text": "x"}}]}]},
                          "text a number": {"text": 5}, "blocks a string": {"blocks": "x"},
                          "attachments an object": {"attachments": {"text": "x"}}}.items():
        with pytest.raises(PayloadRefused) as caught:
            payload_markdown(payload)
        refused[name] = caught.value.code
    assert refused == {"no text": "no_text", "blank": "no_text", "empty blocks": "no_text",
                       "button only": "no_text", "text a number": "invalid_payload",
                       "blocks a string": "invalid_payload", "attachments an object": "invalid_payload"}


# -- over HTTP, with the real slack_sdk client ---------------------------------------------------

@pytest_asyncio.fixture
async def base_url(app: Quart) -> AsyncIterator[str]:
    """The test app on a real loopback HTTP server (Hypercorn), for clients that need a URL."""
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = config.errorlog = None
    stop = asyncio.Event()
    server = asyncio.create_task(serve(_http_only(app), config, shutdown_trigger=stop.wait))
    while True:  # until it listens (the loop is shared: no sleep needed to let it start)
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        break
    yield f"http://127.0.0.1:{port}"
    stop.set()
    await server


def _http_only(app: Quart) -> Any:
    """The app without its lifespan: the app fixture has started it already."""
    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)  # type: ignore[arg-type]
            return
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
    return asgi


async def _hook_url(person: Person, room_id: int, base: str) -> str:
    response = await person.post(f"/rooms/{room_id}/webhooks", {"name": "Alerts"})
    page = await (await person.get(response.headers["Location"])).get_data()
    url = select_one(page, "input#new-webhook-url")["value"]
    return base + url[url.index("/hooks/"):]


async def _send(url: str, **payload: Any) -> WebhookResponse:
    return await asyncio.to_thread(WebhookClient(url, timeout=120).send, **payload)


async def _send_dict(url: str, body: dict[str, Any]) -> WebhookResponse:
    return await asyncio.to_thread(WebhookClient(url, timeout=120).send_dict, body)


async def _shown(person: Person, room_id: int) -> Tag:
    """The newest message's body on the room page, as the person sees it."""
    page = await (await person.get(f"/rooms/{room_id}")).get_data()
    return BeautifulSoup(page, "html.parser").select("article.message .body")[-1]


async def test_slack_sdks_webhook_client_posts_text_blocks_and_attachments(
        base_url: str, alice: Person, bob: Person, room_id: int) -> None:
    url = await _hook_url(alice, room_id, base_url)

    plain = await _send(url, text="<https://x.io/a|label> *bold* ~gone~ <!channel> <@bob>")
    shown = await _shown(alice, room_id)
    rich = await _send(url, text="fallback", blocks=[
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Deployed* <https://x.io/v2|v2>"}}],
        attachments=[{"color": "danger", "title": "1 error", "text": "<script>x</script>"}])
    card = await _shown(alice, room_id)

    assert (plain.status_code, plain.body, rich.status_code, rich.body) == (200, "ok", 200, "ok")
    link = shown.find("a")
    assert (link["href"], link.text) == ("https://x.io/a", "label")
    assert [s.text for s in shown.find_all("strong")] == ["bold", "@channel"]
    assert shown.find(["s", "del"]).text == "gone"
    assert shown.find("span", class_="mention")["data-username"] == "bob"
    # <@bob> is a real mention: it takes the e-mail path
    assert await Delivery.emails().filter(user_id=bob.user_id).count() == 1
    assert card.strong.text == "Deployed" and card.find("a")["href"] == "https://x.io/v2"
    assert card.blockquote.text.strip().startswith("🔴 1 error")
    assert not card.find("script") and "<script>x</script>" in card.blockquote.text
    assert "fallback" not in card.text


async def test_a_recorded_grafana_alert_posts_as_a_red_card(base_url: str, alice: Person,
                                                            room_id: int) -> None:
    url = await _hook_url(alice, room_id, base_url)

    response = await _send_dict(url, json.loads((DATA / "grafana_slack_alert.json").read_text()))
    card = (await _shown(alice, room_id)).blockquote

    assert (response.status_code, response.body) == (200, "ok")
    title = card.find("strong").find("a")
    assert title.text == "[FIRING:1] HighCPU (web-1 prod)"
    assert title["href"] == "https://grafana.example.com/alerting/list?search=HighCPU&view=list"
    assert card.text.strip().startswith("🔴")
    silence = card.find("a", string=lambda s: "silence" in s)
    assert silence["href"].endswith("alertmanager=grafana&matcher=alertname%3DHighCPU&orgId=1")
    assert "\n- alertname = HighCPU\n" in card.text  # as written, as Slack shows it
    assert [li.text for li in card.find_all("li")] == ["instance: web-1", "value: 97.3 %"]
    assert "Grafana v11.3.1 · 2025-12-07 04:00 UTC" in card.text


async def test_a_recorded_alertmanager_alert_posts_with_its_formatting(
        base_url: str, alice: Person, room_id: int) -> None:
    url = await _hook_url(alice, room_id, base_url)
    payload = json.loads((DATA / "alertmanager_slack_alert.json").read_text())

    response = await _send_dict(url, payload)
    card = (await _shown(alice, room_id)).blockquote

    assert (response.status_code, response.body) == (200, "ok")
    title = card.find("a")
    assert title["href"] == "http://alertmanager.example.com:9093/#/alerts?receiver=slack-alerts"
    assert card.text.strip().startswith("🔴 [FIRING:2] InstanceDown (prod node)")
    assert [s.text for s in card.find_all("strong")][1:4] == ["Alert:", "Description:", "Details:"]
    assert [c.text for c in card.find_all("code")][:3] == ["critical", "InstanceDown", "db-1:9100"]


async def test_refusals_answer_in_slacks_words_over_http(base_url: str, alice: Person,
                                                        room_id: int) -> None:
    url = await _hook_url(alice, room_id, base_url)

    empty = await _send_dict(url, {"username": "x", "icon_emoji": ":ghost:"})
    wrong = await _send_dict(url, {"blocks": "section"})
    huge = await _send(url, text="y", attachments=[{"text": "z" * 70_000}])

    assert empty.status_code == 400 and empty.body.startswith("no_text: the payload has nothing")
    assert wrong.status_code == 400 and wrong.body == 'invalid_payload: "blocks" must be a list.\n'
    assert huge.status_code == 413 and huge.body.startswith("payload_too_large")
    assert await Message.all().count() == 0


# -- the body, whatever its content type (test client: no slack_sdk involved) --------------------

async def _hook_path(person: Person, room_id: int) -> str:
    return (await _hook_url(person, room_id, ""))


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None,
                                          "application/octet-stream"])
async def test_a_json_body_is_read_whatever_its_content_type_says(
        app: Quart, alice: Person, room_id: int, content_type: str | None) -> None:
    path = await _hook_path(alice, room_id)
    headers = {"Content-Type": content_type} if content_type else {}

    response = await app.test_client().post(path, data=' {"text": "*up* again"}', headers=headers)

    assert response.status_code == 200, await response.get_data(as_text=True)
    assert [m.body for m in await Message.all()] == ["**up** again"]


async def test_slacks_legacy_form_encoding_carries_attachments_too(app: Quart, alice: Person,
                                                                   room_id: int) -> None:
    path = await _hook_path(alice, room_id)
    payload = json.dumps({"attachments": [{"title": "Only a card", "color": "good"}]})

    response = await app.test_client().post(path, form={"payload": payload})

    assert response.status_code == 200
    assert [m.body for m in await Message.all()] == ["> 🟢 **Only a card**"]


async def test_bodies_that_are_no_payload_are_refused_with_a_hint(app: Quart, alice: Person,
                                                                  room_id: int) -> None:
    path = await _hook_path(alice, room_id)
    client = app.test_client()

    broken = await client.post(path, data='{"text": "oops",}', headers={"Content-Type": "text/plain"})
    prose = await client.post(path, data="just words", headers={"Content-Type": "text/plain"})
    bad_form = await client.post(path, form={"payload": "{not json"})

    assert broken.status_code == 400
    assert (await broken.get_data(as_text=True)).startswith(
        "invalid_payload: The body is not valid JSON (Illegal trailing comma")
    assert prose.status_code == 400
    assert 'Send {"text": "..."} (any Content-Type)' in await prose.get_data(as_text=True)
    assert bad_form.status_code == 400
    assert await Message.all().count() == 0


async def test_hostile_payloads_get_a_plain_answer_never_a_server_error(
        app: Quart, alice: Person, room_id: int) -> None:
    path = await _hook_path(alice, room_id)
    client = app.test_client()
    nested: dict[str, Any] = {"type": "rich_text_section", "elements": []}
    for _ in range(400):
        nested = {"type": "rich_text_list", "elements": [nested]}
    hostile = {
        "deep json": "[" * 60_000,
        "deep blocks": json.dumps({"text": "deep", "blocks": [{"type": "rich_text",
                                                               "elements": [nested]}]}),
        "unclosed markers": json.dumps({"text": "*a _b ~c <d `e " * 500}),
        "odd types": json.dumps({"text": "t", "blocks": [None, 1, {"type": "section", "text": 5,
                                                                   "fields": "x"}],
                                 "attachments": [{"color": 3, "ts": "x", "fields": [None]}]}),
    }

    answers = {}
    for name, body in hostile.items():
        response = await client.post(path, data=body, headers={"Content-Type": "application/json"})
        answers[name] = (response.status_code, (await response.get_data(as_text=True))[:30])

    assert answers == {
        "deep json": (400, "invalid_payload: The JSON is n"),
        "deep blocks": (400, "invalid_payload: The JSON is n"),  # the one JSON reader's limit
        "unclosed markers": (200, "ok"),
        "odd types": (200, "ok"),
    }
    assert await Message.all().count() == 2  # the two that were not refused
