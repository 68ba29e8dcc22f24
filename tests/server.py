"""Run Parley as a real server process, through the same entry point as `make run`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nobody is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(env: dict[str, str], timeout: float = 180, port: int | None = None,
                   output: Path | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start `python -m app` with `env` added, wait for /healthz, yield (base URL, process).

    `output`: a file that keeps what the server printed (what a user sees in the terminal).
    """
    port = port or free_port()  # a given port lets a restarted server take over its address
    # SIGNUPS=open: these servers are for load and fault tests, whose users sign up freely
    # (tests of the join link pass SIGNUPS="" to get the safe default back).
    full_env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "RATE_LIMITS": "off",
                "SIGNUPS": "open", **env}
    # Output goes to a file, not a pipe: nobody reads a pipe while the server runs, and once
    # its 64 KiB buffer fills, every write (a log line) blocks the server's event loop.
    log = output.open("w+") if output else tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=full_env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc, timeout, log)
        yield base, proc
    finally:
        log.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=120)  # a safety net on a loaded machine, not a measure
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def wait_listening(name: str, port: int, proc: subprocess.Popen, log: Path,
                   timeout: float = 15) -> None:
    """Wait until the helper server `proc` (nginx, PgBouncer) accepts connections on `port`;
    if it exits first, fail with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n"
                               f"{log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{name} did not start listening in time")


def _wait_healthy(base: str, proc: subprocess.Popen, timeout: float, log: IO[str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("server did not become healthy in time")
