"""Outbound connections in tests: names resolve from a table, never through DNS, and a
connection is opened only to loopback, every attempt recorded (so a test can show that a
refused destination was never connected to)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

# What the tests' push endpoints and bots' URLs name.
PUBLIC_NAMES = {"push.example.com": ["93.184.215.14"], "bots.example.com": ["93.184.215.15"]}


@dataclass
class StubDns:
    """Answers from `names` (name -> addresses); any other name does not exist."""

    names: dict[str, list[str]] = field(default_factory=lambda: dict(PUBLIC_NAMES))
    asked: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.names[host])


@dataclass
class Connections:
    """The guard's `connect`: records each attempt; goes through only to loopback."""

    attempts: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, address: str, port: int, timeout: float | None) -> socket.socket:
        self.attempts.append((address, port))
        if not ipaddress.ip_address(address).is_loopback:
            raise ConnectionRefusedError(f"tests connect only to loopback, not {address}")
        return socket.create_connection((address, port), timeout)
