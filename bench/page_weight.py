"""What a room page's first view transfers (not part of the test suite).

    .venv/bin/python -m bench.page_weight [--server-tree DIR] [--messages 30] [--json]

Starts a throwaway embedded PostgreSQL and Parley (of this checkout, or of `--server-tree`)
through the `make run` entry point, seeds one signed-in member in a room with a few messages,
then opens the room page in a fresh headless Chromium (empty cache, the member's cookie) and
adds up what the page's requests transferred, from the DevTools protocol's Network events:
`encodedDataLength` is the bytes on the wire (headers and compressed body). It then opens
the page a second time in the same browser (a warm cache) and counts what went over the wire
again; and, in another fresh browser, the room page right after the log-in page (whose files
are in the cache then, but fetched before the log-in cookie was set). Service workers are
blocked: the worker's own fetches (its shell, on install) are not the page's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, async_playwright

from bench.harness import ROOT, Member, new_cid, running_parley, seed_room
from tests.database import create_database, throwaway_postgres

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class Transfer:
    """One page view's requests: bytes on the wire and decoded body bytes, per URL."""

    wire: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, int] = field(default_factory=dict)
    from_cache: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        statics = [u for u in self.wire if "/static/" in u]
        return {"requests": len(self.wire), "wire_bytes": sum(self.wire.values()),
                "body_bytes": sum(self.bodies.values()),
                "static_requests": len(statics),
                "static_wire_bytes": sum(self.wire[u] for u in statics),
                "served_from_cache": len(self.from_cache)}


async def view(context: BrowserContext, url: str) -> Transfer:
    """Open `url` in a new tab of `context` and record its requests until the network is idle."""
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    transfer, urls = Transfer(), {}

    def on_response(event: dict) -> None:
        urls[event["requestId"]] = event["response"]["url"]
        if event["response"].get("fromDiskCache") or event["response"].get("fromServiceWorker"):
            transfer.from_cache.append(event["response"]["url"])

    def on_data(event: dict) -> None:
        key = urls.get(event["requestId"], event["requestId"])
        transfer.bodies[key] = transfer.bodies.get(key, 0) + event["dataLength"]

    def on_finished(event: dict) -> None:
        key = urls.get(event["requestId"], event["requestId"])
        if event["encodedDataLength"]:
            transfer.wire[key] = event["encodedDataLength"]

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.dataReceived", on_data)
    cdp.on("Network.loadingFinished", on_finished)
    await cdp.send("Network.enable")
    await page.goto(url, wait_until="networkidle")
    await page.close()
    return transfer


async def seed(base: str, database_url: str, messages: int) -> tuple[str, str]:
    """One member in one room with `messages` messages; returns (room URL, auth cookie)."""
    seeded = await seed_room(database_url, 1, "weight")
    member = Member(base, seeded.cookies[0])
    await member.ready_to_post()
    for n in range(messages):
        answer = await member.post(f"/rooms/{seeded.room_id}/messages",
                                   {"body": f"Message **{n}** with a [link](https://example.com) :+1:",
                                    "client_msg_id": new_cid()})
        assert answer.status_code == 200, answer.status_code
    await member.close()
    return f"{base}/rooms/{seeded.room_id}", seeded.cookies[0]


async def measure(tree: Path, messages: int) -> dict[str, Any]:
    if (tree / "scripts" / "precompress-static").exists():  # the image's build step, if any
        await asyncio.to_thread(subprocess.run, [sys.executable, "scripts/precompress-static"],
                                cwd=tree, check=True)
    with throwaway_postgres() as server, tempfile.TemporaryDirectory() as var:
        database_url = await create_database(server.get_uri())
        await asyncio.to_thread(subprocess.run, [
            sys.executable, "-c", "import asyncio, sys; from app.db import migrate_database; "
            "asyncio.run(migrate_database(sys.argv[1]))", database_url], cwd=tree, check=True)
        with running_parley(database_url, Path(var), tree=tree) as (base, _pid):
            room_url, cookie = await seed(base, database_url, messages)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                context = await browser.new_context(service_workers="block")
                await context.add_cookies([{"name": "parley_auth", "value": cookie,
                                            "url": base}])
                first = await view(context, room_url)
                again = await view(context, room_url)
                # The usual way in: the log-in page first (its files cached), then the cookie.
                fresh = await browser.new_context(service_workers="block")
                await view(fresh, f"{base}/login")
                await fresh.add_cookies([{"name": "parley_auth", "value": cookie, "url": base}])
                after_login = await view(fresh, room_url)
                await browser.close()
    return {"first_view": first.summary(), "second_view": again.summary(),
            "after_login_page": after_login.summary(), "first_view_requests": first.wire}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server-tree", type=Path, default=ROOT,
                        help="run the server from this checkout (default: this one)")
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the raw numbers too")
    args = parser.parse_args()
    result = asyncio.run(measure(args.server_tree.resolve(), args.messages))
    for name in ("first_view", "second_view", "after_login_page"):
        s = result[name]
        print(f"{name.replace('_', ' ')}: {s['requests']} requests, {s['wire_bytes']:,} bytes "
              f"on the wire ({s['body_bytes']:,} decoded); statics {s['static_requests']} "
              f"requests, {s['static_wire_bytes']:,} bytes")
    if args.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
