"""THE outbound address guard: every connection Parley opens to an address a user supplied
(push endpoints, link previews' pages and images) is checked, and made, here.

A URL a user gives could point Parley at itself or at the network behind it (SSRF): loopback,
the LAN, the cloud metadata service at 169.254.169.254. So, for a URL:

- its host is read the way the OS and the HTTP client read it: the inet_aton forms (127.1,
  2130706433, 0x7f000001, 0177.0.0.1, 0) are IPv4 addresses, not names; a trailing dot is
  dropped; "localhost" and names under it are loopback without asking DNS;
- a name is resolved (OUTBOUND_HOSTS first, then getaddrinfo; the resolver is injectable), and
  the URL is refused when ANY answer is not a public unicast address: loopback, private,
  link-local, multicast, unspecified, reserved, shared (CGNAT) or documentation space, with an
  IPv6 address that carries an IPv4 one (IPv4-mapped, 6to4, NAT64) judged by that IPv4 address;
- OUTBOUND_ALLOWED_NETWORKS names networks allowed anyway (an intranet push service; the test
  suite's local one). It is empty by default: nothing private is reachable.

Checked when the URL is stored and again right before each use, since DNS may answer
differently by then (DNS rebinding). The connection is then PINNED: it goes to the very address
that was checked, and the HTTP client never resolves the name itself, so there is no second
lookup for a rebinding DNS server to answer differently. (Re-checking before connecting, and
letting the client resolve again, would leave exactly that window.) TLS still verifies the
certificate against the name; proxies from the environment are not used and redirects are not
followed, since either would send the request somewhere that was not checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
type IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# (name, port) -> the addresses it resolves to, as text
type Resolver = Callable[[str, int], Awaitable[list[str]]]
# (address, port, timeout) -> a connected socket
type Connector = Callable[[str, int, float | None], socket.socket]

RESOLVE_TIMEOUT = 5.0  # seconds: a DNS server that never answers must not hold a request
LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
NUMBER = re.compile(r"^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$")
DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(Exception):
    """A destination Parley will not connect to; the message says why, for a person to read."""


@dataclass(frozen=True)
class Destination:
    """A checked URL: its host as named, its port, and the address every connection goes to."""

    url: str
    scheme: str
    host: str  # lower-case, without a trailing dot
    port: int
    address: str  # the checked address (the first answer; every answer was checked)
    allowed_network: bool  # the address is private but in OUTBOUND_ALLOWED_NETWORKS


async def system_resolve(host: str, port: int) -> list[str]:
    """The host's addresses as the OS resolves them (getaddrinfo, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def open_socket(address: str, port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to an address (numeric: nothing is resolved here)."""
    return socket.create_connection((address, port), timeout)


@dataclass(frozen=True)
class OutboundGuard:
    """Checks destinations and opens pinned connections to them; one per app
    (app.extensions["outbound"]). Tests give it a stub `resolve` and a recording `connect`."""

    allowed: tuple[IPNetwork, ...] = ()
    hosts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    resolve: Resolver = system_resolve
    connect: Connector = open_socket

    async def check(self, url: str, schemes: tuple[str, ...] = ("https",)) -> Destination:
        """The URL's destination, or OutboundRefused saying why Parley will not go there."""
        parts = urlsplit(url)
        if parts.scheme not in schemes:
            raise OutboundRefused(f"Only {' or '.join(s + '://' for s in schemes)} addresses "
                                  "are accepted.")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise OutboundRefused("The address has an invalid port number.") from None
        host = (parts.hostname or "").removesuffix(".")
        addresses = await self._addresses(host, port)
        for address in addresses:
            reason = self.refusal(address)
            if reason:
                raise OutboundRefused(f"“{host}” is {address}, {reason}; Parley does not "
                                      "connect there.")
        first = addresses[0]
        return Destination(url, parts.scheme, host, port, str(first),
                           any(first in network for network in self.allowed))

    def refusal(self, address: IPAddress) -> str | None:
        """Why Parley must not connect to `address`, or None when it may."""
        if any(address in network for network in self.allowed):
            return None
        inner = embedded_ipv4(address)
        if inner is not None:
            return self.refusal(inner)
        return address_refusal(address)

    def pinned_session(self, destination: Destination) -> requests.Session:
        """A requests session whose every connection goes to `destination.address`."""
        session = requests.Session()
        session.trust_env = False  # an HTTPS_PROXY would receive the request instead
        session.max_redirects = 0  # a redirect names a host that was never checked
        adapter = PinnedAdapter(destination, self.connect)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        literal = host_address(host)
        if literal is not None:
            return [literal]
        if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always loopback
            return [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
        if host in self.hosts:
            answers = list(self.hosts[host])
        else:
            try:
                answers = await asyncio.wait_for(self.resolve(host, port), RESOLVE_TIMEOUT)
            except (OSError, TimeoutError, UnicodeError):
                answers = []
        addresses = [a for a in (_parsed(answer) for answer in answers) if a is not None]
        if not addresses:
            raise OutboundRefused(f"The name “{host}” could not be resolved.")
        return addresses


def host_address(host: str) -> IPAddress | None:
    """The address a URL's host denotes when it is a literal (any inet_aton form), None for a
    name; OutboundRefused for something that is neither."""
    if not host or len(host) > 253:
        raise OutboundRefused("The address has no valid host name.")
    if ":" in host:  # an IPv6 literal (urlsplit removed its brackets)
        parsed = _parsed(host)
        if parsed is None:
            raise OutboundRefused("The address has an invalid IPv6 address.")
        return parsed
    labels = host.lower().split(".")
    if not all(LABEL.match(label) for label in labels):
        raise OutboundRefused("The address has no valid host name.")
    if not labels[-1][0].isdigit():  # no top-level domain starts with a digit: a name
        return None
    numeric = inet_aton(labels)
    if numeric is None:
        raise OutboundRefused(f"“{host}” is neither a host name nor an IPv4 address.")
    return numeric


def inet_aton(labels: list[str]) -> ipaddress.IPv4Address | None:
    """inet_aton(3), as getaddrinfo applies it: 1-4 parts, each decimal, octal (0...) or hex
    (0x...), the last filling the bytes the others left (127.1 is 127.0.0.1)."""
    if len(labels) > 4 or not all(NUMBER.match(label) for label in labels):
        return None
    values = [int(label[2:] or "0", 16) if label.startswith("0x") else
              int(label, 8) if label.startswith("0") and len(label) > 1 else int(label or "0")
              for label in labels]
    *head, last = values
    if any(value > 255 for value in head) or last >= 256 ** (4 - len(head)):
        return None
    number = last
    for index, value in enumerate(head):
        number += value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to an IPv4 host (mapped, 6to4, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(address: IPAddress) -> str | None:
    """What kind of non-public address this is, or None for a public unicast one."""
    checks = (("is_unspecified", "the unspecified address"), ("is_loopback", "a loopback address"),
              ("is_link_local", "a link-local address"), ("is_multicast", "a multicast address"),
              ("is_private", "a private network address"), ("is_reserved", "a reserved address"))
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if not address.is_global:
        return "not a public address"
    return None


def guard_for(allowed_networks: tuple[str, ...], hosts: tuple[tuple[str, str], ...]
              ) -> OutboundGuard:
    """The guard Parley's settings describe (system DNS, real sockets)."""
    table: dict[str, tuple[str, ...]] = {}
    for name, address in hosts:
        table[name] = (*table.get(name, ()), address)
    return OutboundGuard(tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks),
                         table)


def _parsed(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class PinnedAdapter(HTTPAdapter):
    """requests' adapter whose connections all go to one checked address."""

    def __init__(self, destination: Destination, connect: Connector) -> None:
        self.destination, self.connector = destination, connect
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _pinned_pool(HTTPConnectionPool, HTTPConnection, self),
            "https": _pinned_pool(HTTPSConnectionPool, HTTPSConnection, self),
        }


def _pinned_pool(pool: type[Any], connection: type[Any], adapter: PinnedAdapter) -> type[Any]:
    destination = adapter.destination

    class PinnedConnection(connection):
        def _new_conn(self) -> socket.socket:
            if (self.host.lower().strip("[]"), self.port) != (destination.host, destination.port):
                raise NewConnectionError(self, f"{self.host}:{self.port} is not the checked "
                                               f"destination {destination.host}")
            timeout = self.timeout if isinstance(self.timeout, int | float) else None
            try:
                return adapter.connector(destination.address, destination.port, timeout)
            except OSError as exc:
                raise NewConnectionError(self, f"Failed to establish a new connection: "
                                               f"{exc}") from exc

    class PinnedPool(pool):
        ConnectionCls = PinnedConnection

    return PinnedPool
