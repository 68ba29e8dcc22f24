"""Debian's nginx as a round-robin load balancer in front of test servers, run by the test.

nginx runs in the foreground with every file it writes (pid, logs, temp files) under a prefix
directory, proxies with the repository's own `config/nginx/parley-proxy.conf`, and is stopped
gracefully with SIGQUIT.
"""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.server import ROOT, free_port, wait_listening

NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
PROXY_CONF = ROOT / "config" / "nginx" / "parley-proxy.conf"


def require_nginx() -> str:
    """The nginx binary, installed by scripts/ensure-nginx when missing; else skip, saying why."""
    if not os.access(NGINX, os.X_OK):
        ensure = subprocess.run([ROOT / "scripts" / "ensure-nginx"], capture_output=True,
                                text=True, check=False)
        if ensure.returncode != 0 or not os.access(NGINX, os.X_OK):
            pytest.skip(f"nginx is not at {NGINX} and could not be installed: "
                        f"{ensure.stderr.strip() or ensure.stdout.strip()}")
    return NGINX


@contextmanager
def load_balancer(upstreams: list[str], prefix: Path) -> Iterator[str]:
    """nginx on a free port, round-robin over the `upstreams` base URLs; yields its base URL."""
    binary = require_nginx()
    port = free_port()
    for directory in ("logs", "temp"):
        (prefix / directory).mkdir(parents=True, exist_ok=True)
    (prefix / "nginx.conf").write_text(_config(upstreams, port))
    proc = subprocess.Popen([binary, "-p", str(prefix), "-e", "logs/error.log",
                             "-c", "nginx.conf", "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_listening("nginx", port, proc, prefix / "logs" / "error.log")
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight, then exit
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _config(upstreams: list[str], port: int) -> str:
    servers = "\n".join(f"        server {urlsplit(url).netloc} max_fails=1 fail_timeout=10s;"
                        for url in upstreams)
    # One worker: round-robin state is per worker, so with one, consecutive connections
    # alternate between the upstreams.
    return f"""
user {getpass.getuser()};
worker_processes 1;
worker_shutdown_timeout 5s;
pid logs/nginx.pid;
error_log logs/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log logs/access.log;
    client_body_temp_path temp/client_body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream parley {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 11m;
        location / {{ include {PROXY_CONF}; }}
    }}
}}
"""

