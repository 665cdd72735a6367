"""Real servers for the calendar-reading tests and bench/busy_bench.py: Radicale (CalDAV) as
a subprocess and a small HTTP server for ICS links, both on 127.0.0.1."""

from __future__ import annotations

import contextlib
import http.server
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import caldav

USER, PASSWORD = "bibliotekar", "app-kode-123"
# Another account, for tests that must not see (or add to) the first one's calendars.
OTHER_USER, OTHER_PASSWORD = "kursist", "app-kode-456"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Radicale:
    url: str  # the server's root

    def client(self, user: str = USER, password: str = PASSWORD) -> caldav.DAVClient:
        return caldav.DAVClient(url=self.url, username=user, password=password, timeout=10)

    def calendar_url(self, name: str, user: str = USER) -> str:
        return f"{self.url}{user}/{name}/"


@contextmanager
def radicale(folder: Path) -> Iterator[Radicale]:
    """Radicale from PyPI on a free port: plain htpasswd login, storage in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users").write_text(f"{USER}:{PASSWORD}\n{OTHER_USER}:{OTHER_PASSWORD}\n")
    port = free_port()
    config = folder / "config"
    config.write_text(
        f"""[server]
hosts = 127.0.0.1:{port}
[auth]
type = htpasswd
htpasswd_filename = {folder / "users"}
htpasswd_encryption = plain
delay = 0
[storage]
filesystem_folder = {folder / "collections"}
[rights]
type = owner_only
[logging]
level = warning
"""
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Radicale did not start") from None
                time.sleep(0.1)
        yield Radicale(f"http://127.0.0.1:{port}/")
    finally:
        process.terminate()
        process.wait(10)


Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class IcsServer:
    """Serves `routes` (path -> handler) on 127.0.0.1; `url(path)` is its address."""

    port: int
    routes: dict[str, Handler] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def file(self, path: str, body: bytes, content_type: str = "text/calendar") -> str:
        def handler(request: http.server.BaseHTTPRequestHandler) -> None:
            request.send_response(200)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)

        self.routes[path] = handler
        return self.url(path)


@contextmanager
def ics_server() -> Iterator[IcsServer]:
    server_state = IcsServer(0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            handler = server_state.routes.get(self.path)
            if handler is None:
                self.send_error(404)
                return
            # The reader may stop reading (too large, too slow): as it should.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                handler(self)

        do_PROPFIND = do_REPORT = do_GET  # a route may play a (broken) CalDAV server

        def log_message(self, format, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server_state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
