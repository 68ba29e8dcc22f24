"""The outbound address guard (app/outbound.py) against SSRF: a push endpoint that names
loopback, a private network or the cloud metadata service, however spelled, is refused when it
is subscribed and again when a push is sent. Nothing here resolves a name through DNS or
connects anywhere but loopback, and every refusal is shown to have connected nowhere."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace

import pytest
import pytest_asyncio
from quart import Quart

from app.models import Delivery, NotificationStatus, PushSubscription
from app.outbound import OutboundGuard, OutboundRefused, guard_for, inet_aton
from config.settings import Settings, SettingsError
from tests.helpers import Person
from tests.mailbox import eventually
from tests.outbound import Connections, StubDns
from tests.pushservice import BrowserKeys, PushService
from tests.test_push import delivered, subscribe

METADATA = "169.254.169.254"


@dataclass
class Listener:
    """A socket listening on 127.0.0.1: what an SSRF to loopback would reach."""

    accepted: list[object] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def _accept(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted.append(writer.get_extra_info("peername"))
        writer.close()


@pytest_asyncio.fixture
async def listener() -> AsyncIterator[Listener]:
    listening = Listener()
    listening.server = await asyncio.start_server(listening._accept, "127.0.0.1", 0)
    yield listening
    listening.server.close()


@dataclass
class Outbound:
    """The app's guard as production has it (no private network allowed), with a stub DNS
    and a record of connection attempts."""

    dns: StubDns
    connections: Connections


@pytest.fixture
def outbound(app: Quart) -> Iterator[Outbound]:
    before: OutboundGuard = app.extensions["outbound"]
    strict = Outbound(StubDns(), Connections())
    app.extensions["outbound"] = replace(before, allowed=(), resolve=strict.dns,
                                         connect=strict.connections)
    yield strict
    app.extensions["outbound"] = before


BYPASSES = {
    "short form 127.1": "https://127.1:{port}/push",
    "one decimal number": "https://2130706433:{port}/push",
    "one hex number": "https://0x7f000001:{port}/push",
    "octal first byte": "https://0177.0.0.1:{port}/push",
    "zero, the unspecified address": "https://0:{port}/push",
    "localhost with a trailing dot": "https://localhost.:{port}/push",
    "metadata service as a decimal number": "https://2852039166/latest/meta-data",
    "metadata service as hex": "https://0xa9fea9fe/latest/meta-data",
    "IPv4-mapped loopback": "https://[::ffff:127.0.0.1]:{port}/push",
}


@pytest.mark.parametrize("endpoint", BYPASSES.values(), ids=BYPASSES.keys())
async def test_an_endpoint_spelling_loopback_or_the_metadata_service_as_a_number_is_refused_without_connecting(  # noqa: E501
        bob: Person, outbound: Outbound, listener: Listener, endpoint: str) -> None:
    url = endpoint.format(port=listener.port)

    response = await bob.post("/push/subscriptions", BrowserKeys().form(url))

    assert response.status_code == 400
    reason = (await response.get_json())["errors"]["endpoint"]
    assert "Parley does not connect there" in reason
    assert not await PushSubscription.exists()
    assert outbound.dns.asked == []  # read as an address, never looked up as a name
    assert outbound.connections.attempts == []
    assert listener.accepted == []


@pytest.mark.parametrize(("answers", "kind"), [
    (["127.0.0.1"], "a loopback address"),
    (["10.1.2.3"], "a private network address"),
    (["192.168.0.10"], "a private network address"),
    ([METADATA], "a link-local address"),
    (["224.0.0.251"], "a multicast address"),
    (["0.0.0.0"], "the unspecified address"),
    (["100.64.0.1"], "not a public address"),  # carrier-grade NAT
    (["fe80::1"], "a link-local address"),
    (["fd00::5"], "a private network address"),
    (["::ffff:169.254.169.254"], "a link-local address"),  # IPv4-mapped
    (["2002:7f00:1::"], "a loopback address"),  # 6to4 around 127.0.0.1
    (["64:ff9b::a9fe:a9fe"], "a link-local address"),  # NAT64 around the metadata service
    (["93.184.215.14", "127.0.0.1"], "a loopback address"),  # one bad answer is enough
])
async def test_a_name_that_resolves_to_a_private_address_is_refused(
        answers: list[str], kind: str) -> None:
    dns, connections = StubDns({"push.evil.example": answers}), Connections()
    guard = OutboundGuard(resolve=dns, connect=connections)

    with pytest.raises(OutboundRefused, match=kind):
        await guard.check("https://push.evil.example/x")

    assert dns.asked == ["push.evil.example"]
    assert connections.attempts == []


async def test_a_public_name_is_accepted_and_an_unknown_one_is_refused() -> None:
    guard = OutboundGuard(resolve=StubDns())

    destination = await guard.check("https://push.example.com./send/1")
    with pytest.raises(OutboundRefused, match="could not be resolved"):
        await guard.check("https://nowhere.example/send/1")

    assert (destination.host, destination.port, destination.address) == \
        ("push.example.com", 443, "93.184.215.14")


def test_hosts_are_read_as_inet_aton_reads_them() -> None:
    assert inet_aton(["127", "1"]) == ipaddress.IPv4Address("127.0.0.1")
    assert inet_aton(["0x7f", "0", "0", "01"]) == ipaddress.IPv4Address("127.0.0.1")
    assert inet_aton(["10", "0x10203"]) == ipaddress.IPv4Address("10.1.2.3")
    assert inet_aton(["256", "1"]) is None  # glibc refuses it too
    assert inet_aton(["08"]) is None  # not octal


async def test_by_default_no_private_network_is_allowed() -> None:
    settings = Settings.from_env({})
    guard = guard_for(settings.outbound_allowed_networks, settings.outbound_hosts)

    for url in ("https://127.0.0.1/", "https://10.0.0.1/", f"https://{METADATA}/"):
        with pytest.raises(OutboundRefused):
            await guard.check(url)


async def test_an_operator_can_allow_an_intranet_push_service_by_network_and_name() -> None:
    settings = Settings.from_env({"OUTBOUND_ALLOWED_NETWORKS": "10.0.0.0/8, fd00::/8",
                                  "OUTBOUND_HOSTS": "push.internal=10.0.0.7"})
    guard = replace(guard_for(settings.outbound_allowed_networks, settings.outbound_hosts),
                    resolve=StubDns({}))

    destination = await guard.check("https://push.internal/x")
    with pytest.raises(OutboundRefused, match="a private network address"):
        await guard.check("https://192.168.1.1/x")  # not in the allowed networks

    assert (destination.address, destination.allowed_network) == ("10.0.0.7", True)


@pytest.mark.parametrize(("name", "value"), [("OUTBOUND_ALLOWED_NETWORKS", "10.0.0.0/33"),
                                             ("OUTBOUND_ALLOWED_NETWORKS", "intranet"),
                                             ("OUTBOUND_HOSTS", "push.internal"),
                                             ("OUTBOUND_HOSTS", "push.internal=nowhere")])
def test_a_malformed_outbound_setting_stops_the_start_with_its_name(name: str,
                                                                     value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


async def test_dns_rebinding_after_subscribing_gets_no_push_through(
        alice: Person, bob: Person, room_id: int, push_service: PushService,
        outbound: Outbound, listener: Listener) -> None:
    outbound.dns.names["rebind.example"] = ["93.184.215.14"]  # public when Parley checks
    url = f"https://rebind.example:{listener.port}/push/phone"
    assert (await bob.post("/push/subscriptions", BrowserKeys().form(url))).status_code == 201

    outbound.dns.names["rebind.example"] = ["127.0.0.1"]  # and loopback by the time it sends
    await alice.say(room_id, "@bob the launch codes")
    row = await delivered(bob.user_id, NotificationStatus.FAILED)

    assert row.last_error == ("refused: “rebind.example” is 127.0.0.1, a loopback address; "
                              "Parley does not connect there.")
    assert row.attempts == 0 and row.sent_at is None
    assert outbound.connections.attempts == []
    assert listener.accepted == []
    assert await PushSubscription.exists(user_id=bob.user_id)  # bob sees and removes it himself


async def test_a_push_goes_to_the_address_that_was_checked_not_to_a_second_lookup(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    # A name only the guard's resolver knows: had the HTTP client resolved it again itself
    # (system DNS), it would have failed or gone elsewhere.
    dns, connections = StubDns({"pinned.example": ["127.0.0.1"]}), Connections()
    before = app.extensions["outbound"]
    app.extensions["outbound"] = replace(before, resolve=dns, connect=connections)
    try:
        port = int(push_service.endpoint("x").split(":")[2].split("/")[0])
        keys = BrowserKeys()
        url = f"http://pinned.example:{port}/push/phone"
        assert (await bob.post("/push/subscriptions", keys.form(url))).status_code == 201

        await alice.say(room_id, "@bob pinned")
        await delivered(bob.user_id)
    finally:
        app.extensions["outbound"] = before

    [request] = push_service.to("phone")
    assert keys.read(request)["body"] == "@bob pinned"
    assert request.headers["host"] == f"pinned.example:{port}"
    assert connections.attempts == [("127.0.0.1", port)]
    assert dns.asked == ["pinned.example", "pinned.example"]  # at subscription, and at send


async def test_a_push_service_redirecting_elsewhere_is_not_followed(
        alice: Person, bob: Person, room_id: int, push_service: PushService,
        listener: Listener) -> None:
    await subscribe(bob, push_service)
    push_service.status, push_service.location = 307, f"http://127.0.0.1:{listener.port}/"

    await alice.say(room_id, "@bob follow me")
    await eventually(lambda: Delivery.pushes().filter(user_id=bob.user_id, attempts__gte=1).exists())

    row = await Delivery.pushes().get(user_id=bob.user_id)
    assert "TooManyRedirects" in row.last_error
    assert listener.accepted == []


async def test_plain_http_is_refused_for_a_public_push_service(bob: Person,
                                                               outbound: Outbound) -> None:
    response = await bob.post("/push/subscriptions",
                              BrowserKeys().form("http://push.example.com/send/1"))

    assert response.status_code == 400
    assert "https" in (await response.get_json())["errors"]["endpoint"]
    assert outbound.connections.attempts == []
