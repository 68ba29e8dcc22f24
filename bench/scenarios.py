"""The measurements behind `make bench`, one function per point of the performance targets."""

from __future__ import annotations

import asyncio
import statistics
import time
from itertools import pairwise

import asyncpg
import httpx

from app.db import asyncpg_dsn
from bench.harness import (
    CSRF,
    MESSAGE_SEQ,
    PASSWORD,
    Member,
    Seeded,
    cpu_seconds,
    new_cid,
    open_sockets,
    percentile,
    rss_mib,
)
from bench.httpclient import BadAnswer
from bench.wsclient import LeanSocket, OnFrame

POST_TIMEOUT = 120  # seconds: a post with no answer by then counts as an error


async def live_room(base: str, seeded: Seeded, rate: float, seconds: float,
                    posters: int = 10, drain: float = 5.0) -> dict:
    """Points 1 and 5: every member on a socket, `posters` of them posting at `rate` posts/s."""
    members = [Member(base, c) for c in seeded.cookies]
    await asyncio.gather(*(m.ready_to_post() for m in members[:posters]))
    sockets = await open_sockets(members, seeded.room_id)
    sent: dict[str, float] = {}
    seen = [dict[str, int]() for _ in sockets]
    order = [list[int]() for _ in sockets]  # the seqs each socket showed, as they came
    seqs: dict[str, int] = {}
    latencies: list[float] = []
    last_frame = [0.0]

    def receiver(counts: dict[str, int], shown: list[int]) -> OnFrame:
        def on_frame(payload: bytes, now: float) -> None:
            for raw_cid, raw_seq in MESSAGE_SEQ.findall(payload):
                cid, seq = raw_cid.decode(), int(raw_seq)
                shown.append(seq)
                seqs[cid] = seq
                counts[cid] = counts.get(cid, 0) + 1
                if cid in sent:
                    latencies.append(now - sent[cid])
                    last_frame[0] = now
        return on_frame

    for ws, counts, shown in zip(sockets, seen, order, strict=True):
        ws.listen(receiver(counts, shown))
    outcomes: dict[str, str] = {}
    started = time.perf_counter()
    late = await _post_at_rate(members[:posters], seeded.room_id, rate, seconds, sent, outcomes)
    post_time = time.perf_counter() - started
    accepted = {cid for cid, outcome in outcomes.items() if outcome == "200"}
    await _drain(seen, accepted, drain)
    closed = [ws.close_code for ws in sockets if ws.close_code is not None]  # missed = lost
    for ws in sockets:
        await ws.close()
    for m in members:
        await m.close()
    errors: dict[str, int] = {}
    for outcome in outcomes.values():
        if outcome != "200":
            errors[outcome] = errors.get(outcome, 0) + 1
    # Lost: a post the server accepted that a socket never showed. A post with no answer (a
    # client timeout) may or may not have been stored; it counts as an error, not as lost.
    delivered = sum(sum(1 for cid in c if cid in accepted) for c in seen)
    span = max(post_time, last_frame[0] - started)
    return {"offered": rate, "sent": len(sent), "sent_late": late,
            "accepted": len(accepted), "accepted_per_s": len(accepted) / post_time,
            "post_errors": sum(errors.values()), "errors_by_kind": errors,
            "deliveries_per_s": sum(sum(1 for cid in c if cid in sent) for c in seen) / span,
            "lost": len(accepted) * len(sockets) - delivered,
            "duplicated": sum(n - 1 for c in seen for n in c.values() if n > 1),
            "sockets_closed": {code: closed.count(code) for code in set(closed)},
            "out_of_order": sum(1 for shown in order for a, b in pairwise(shown) if b < a),
            "missed": _missed(seen, accepted, seqs),
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}


def _missed(seen: list[dict[str, int]], accepted: set[str], seqs: dict[str, int]) -> dict:
    """Where the lost deliveries were: how many sockets missed some, in how many runs of
    consecutive seqs, and how many posts no socket showed at all (never fanned out)."""
    by_every = sum(1 for cid in accepted if not any(cid in c for c in seen))
    sockets, runs, longest, starts = 0, 0, 0, set()
    for counts in seen:
        gone = sorted(seqs[cid] for cid in accepted if cid not in counts and cid in seqs)
        if not gone:
            continue
        sockets += 1
        starts.add(gone[0])
        missing, run = set(gone), 0
        for seq in range(gone[0], gone[-1] + 2):
            if seq not in missing:
                if run:
                    runs, longest, run = runs + 1, max(longest, run), 0
            else:
                run += 1
    return {"sockets": sockets, "runs": runs, "longest_run": longest,
            "first_missed": sorted(starts)[:10],
            "shown_by_no_socket": by_every}


async def _drain(seen: list[dict[str, int]], accepted: set[str], quiet: float) -> None:
    """Wait until every socket showed every accepted post, or nothing new came for `quiet`
    seconds (what is missing then is lost, not late)."""
    def shown() -> int:
        return sum(sum(1 for cid in c if cid in accepted) for c in seen)

    expected, last, since = len(accepted) * len(seen), -1, time.perf_counter()
    while (now := shown()) < expected and time.perf_counter() - since < quiet:
        if now != last:
            last, since = now, time.perf_counter()
        await asyncio.sleep(0.1)


async def idle_sockets(base: str, pid: int, seeded: Seeded, count: int) -> dict:
    """Point 2: RSS growth over `count` idle sockets, divided."""
    member = Member(base, seeded.cookies[0])
    await member.http.get("/healthz")
    before = rss_mib(pid)
    sockets = await open_sockets([member] * count, None)
    await asyncio.sleep(3)
    after = rss_mib(pid)
    alive = sum(1 for ws in sockets if ws.open)
    for ws in sockets:
        await ws.close()
    await member.close()
    return {"sockets": count, "open": alive, "kib_per_socket": (after - before) * 1024 / count}


async def broadcast(base: str, seeded: Seeded, messages: int = 20) -> dict:
    """Point 3: one message at a time to a room of len(seeded.cookies) members on sockets."""
    members = [Member(base, c) for c in seeded.cookies]
    poster = members[0]
    await poster.ready_to_post()
    sockets = await open_sockets(members, seeded.room_id)
    expected = [b""]  # the id of the message on its way
    arrived: dict[int, float] = {}  # socket index -> when the message reached it
    everyone = asyncio.Event()

    def receiver(index: int) -> OnFrame:
        def on_frame(payload: bytes, now: float) -> None:
            if index not in arrived and expected[0] in payload:
                arrived[index] = now
                if len(arrived) == len(sockets):
                    everyone.set()
        return on_frame

    for index, ws in enumerate(sockets):
        ws.listen(receiver(index))
    to_last: list[float] = []
    for _ in range(messages):
        cid = new_cid()
        expected[0] = f'id="message-{cid}"'.encode()
        arrived.clear()
        everyone.clear()
        started = time.perf_counter()
        response = await poster.post(f"/rooms/{seeded.room_id}/messages",
                                     {"body": f"to everyone {cid}", "client_msg_id": cid})
        assert response.status_code == 200, response.status_code
        await asyncio.wait_for(everyone.wait(), 60)
        to_last.append(max(arrived.values()) - started)
    for ws in sockets:
        await ws.close()
    for m in members:
        await m.close()
    return {"members": len(sockets), "p50_ms": percentile(to_last, 50) * 1000,
            "p99_ms": percentile(to_last, 99) * 1000}


async def history_flatness(base: str, database_url: str, small: Seeded, large: Seeded,
                           small_size: int, large_size: int, rounds: int = 40) -> dict:
    """Point 4: post latency and a history page, in a room of 1k vs one of 1M messages
    (medians of `rounds` each; a page from the middle of the room's history)."""
    await _fill(database_url, small, small_size)
    await _fill(database_url, large, large_size)
    rooms = {"small": (small, small_size), "large": (large, large_size)}
    members = {name: Member(base, seeded.cookies[0]) for name, (seeded, _) in rooms.items()}
    timings: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in rooms}
    for member in members.values():
        await member.ready_to_post()
    for n in range(rounds):  # the two rooms take turns, so neither gets the warm-up alone
        for name, (seeded, size) in rooms.items():
            member, (posts, pages) = members[name], timings[name]
            started = time.perf_counter()
            response = await member.post(f"/rooms/{seeded.room_id}/messages",
                                         {"body": f"history {n}", "client_msg_id": new_cid()})
            posts.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            started = time.perf_counter()
            page = await member.http.get(f"/rooms/{seeded.room_id}/messages?before={size // 2}")
            pages.append(time.perf_counter() - started)
            assert page.status_code == 200, page.status_code
    for member in members.values():
        await member.close()
    result = {name: (statistics.median(posts) * 1000, statistics.median(pages) * 1000)
              for name, (posts, pages) in timings.items()}
    return {"post_ms_1k": result["small"][0], "post_ms_1m": result["large"][0],
            "page_ms_1k": result["small"][1], "page_ms_1m": result["large"][1]}


async def logins_and_latency(base: str, pid: int, talkers: Seeded, logins: Seeded,
                             concurrent: int = 20) -> dict:
    """Point 6: during `concurrent` log-ins, how late do messages to an idle room arrive?"""
    poster, listener = Member(base, talkers.cookies[0]), Member(base, talkers.cookies[1])
    await poster.ready_to_post()
    ws = (await open_sockets([listener], talkers.room_id))[0]
    browsers = [httpx.AsyncClient(base_url=base, timeout=120) for _ in range(concurrent)]
    tokens = [CSRF.search((await b.get("/login")).text).group(1) for b in browsers]
    names = logins.usernames
    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    login_tasks = [asyncio.create_task(b.post("/login", data={
        "csrf_token": t, "username": n, "password": PASSWORD}))
        for b, t, n in zip(browsers, tokens, names, strict=False)]
    latencies = []
    while not all(t.done() for t in login_tasks):
        cid = new_cid()
        sent = time.perf_counter()
        await poster.post(f"/rooms/{talkers.room_id}/messages",
                          {"body": f"during logins {cid}", "client_msg_id": cid})
        await _until(ws, cid)
        latencies.append(time.perf_counter() - sent)
        await asyncio.sleep(0.05)
    responses = await asyncio.gather(*login_tasks)
    login_seconds = time.perf_counter() - started
    ok = sum(1 for r in responses if r.status_code == 303)
    cpu = cpu_seconds(pid) - cpu_before
    await ws.close()
    for b in browsers:
        await b.aclose()
    await poster.close()
    await listener.close()
    return {"logins": concurrent, "logged_in": ok, "login_seconds": login_seconds,
            "messages": len(latencies), "max_ms": max(latencies) * 1000,
            "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "server_cpu_s": cpu}


async def _post_at_rate(members: list[Member], room_id: int, rate: float, seconds: float,
                        sent: dict[str, float], outcomes: dict[str, str]) -> int:
    """Post `rate` times a second for `seconds`, each on its own schedule whatever the answers
    take; returns how many went out more than 10 ms behind their schedule (generator lag)."""
    interval, start, tasks, late = 1 / rate, time.perf_counter(), [], 0
    for n in range(round(rate * seconds)):
        target = start + n * interval
        if target > time.perf_counter():
            await asyncio.sleep(target - time.perf_counter())
        elif time.perf_counter() - target > 0.01:
            late += 1
        tasks.append(asyncio.create_task(_post(members[n % len(members)], room_id, sent,
                                               outcomes)))
    await asyncio.gather(*tasks)
    return late


async def _post(member: Member, room_id: int, sent: dict[str, float],
                outcomes: dict[str, str]) -> None:
    cid = new_cid()
    sent[cid] = time.perf_counter()
    try:
        async with asyncio.timeout(POST_TIMEOUT):
            response = await member.post(f"/rooms/{room_id}/messages",
                                         {"body": f"load {cid}", "client_msg_id": cid})
        outcomes[cid] = str(response.status_code)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, BadAnswer) as exc:
        outcomes[cid] = type(exc).__name__


async def _until(ws: LeanSocket, cid: str) -> float:
    """Read frames until one carries message `cid`; when it arrived."""
    needle = cid.encode()
    while True:
        frame = await ws.recv()
        if needle in frame:
            return time.perf_counter()


async def _fill(database_url: str, seeded: Seeded, size: int) -> None:
    """`size` messages in the room, as if posted over time (numbered 1..size)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO messages (room_id, author_id, seq, client_msg_id, body, created_at, "
                "change_seq) SELECT $1, $2, g, 'seed' || g, 'seeded message number ' || g, "
                "now() - (($3 - g) || ' seconds')::interval, 0 FROM generate_series(1, $3) g",
                seeded.room_id, seeded.user_ids[0], size)
            await conn.execute("UPDATE rooms SET last_seq = $2 WHERE id = $1",
                               seeded.room_id, size)
        await conn.execute("ANALYZE messages")
    finally:
        await conn.close()
