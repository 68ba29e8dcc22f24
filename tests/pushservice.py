"""A push service on 127.0.0.1 for tests, and a "browser" in Python that can read what it got.

The service is a plain asyncio HTTP server: it records each request and answers with the
status a test chooses (or never answers, to exercise the sender's timeout). BrowserKeys makes
what a browser's PushSubscription holds (an ECDH P-256 key pair and a 16-byte auth secret), so
a test decrypts the received body with RFC 8291 exactly as the browser would.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class PushRequest:
    """One request the push service received."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """Answers every POST with `status`; `stall` makes it hold requests without answering."""

    status: int = 201
    stall: bool = False
    location: str | None = None  # sent as Location: (a redirect)
    received: list[PushRequest] = field(default_factory=list)
    server: asyncio.Server | None = None
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        self.released.set()  # stalled requests end now
        if self.server is not None:
            self.server.close()
            self.server = None

    def endpoint(self, device: str) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/push/{device}"

    def to(self, device: str) -> list[PushRequest]:
        return [r for r in self.received if r.path == f"/push/{device}"]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _method, path, _ = (await reader.readline()).decode().split(" ", 2)
            headers = {}
            while (line := (await reader.readline()).decode().strip()):
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append(PushRequest(path, headers, body))
            if self.stall:
                await self.released.wait()  # until the test ends; the sender's timeout fires
            location = f"Location: {self.location}\r\n" if self.location else ""
            writer.write(f"HTTP/1.1 {self.status} X\r\nContent-Length: 0\r\n{location}"
                         "Connection: close\r\n\r\n".encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


class BrowserKeys:
    """The keys a browser makes for a push subscription, kept to decrypt what arrives."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def form(self, endpoint: str) -> dict[str, str]:
        """What the page posts to /push/subscriptions."""
        return {"endpoint": endpoint, "p256dh": self.p256dh, "auth": b64url(self.auth)}

    def read(self, request: PushRequest) -> dict[str, Any]:
        """Decrypt a received push (RFC 8291, aes128gcm) and parse its JSON."""
        plain = http_ece.decrypt(request.body, private_key=self.private_key,
                                 auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


def vapid_claims(request: PushRequest, application_server_key: str) -> dict[str, Any]:
    """The VAPID JWT's claims, after checking its ES256 signature against the server's key."""
    scheme, _, params = request.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    assert values["k"] == application_server_key
    header, claims, signature = values["t"].split(".")
    raw = unb64url(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(values["k"]))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
                  f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(unb64url(claims))
