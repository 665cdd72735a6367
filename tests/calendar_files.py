"""A small HTTP server on 127.0.0.1 that serves calendar files, for the calendar-import tests
(app and browser): `server.files[path] = (status, content type, body)`; `server.url(path)`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CalendarFiles:
    def __init__(self, port: int) -> None:
        self.port = port
        self.files: dict[str, tuple[int, str, bytes]] = {}
        self.requests: list[str] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def ics(self, path: str, body: str) -> str:
        self.files[path] = (200, "text/calendar; charset=utf-8", body.encode())
        return self.url(path)


@contextmanager
def calendar_files() -> Iterator[CalendarFiles]:
    holder: list[CalendarFiles] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            files = holder[0]
            files.requests.append(self.path)
            status, kind, body = files.files.get(self.path, (404, "text/plain", b"not found"))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(CalendarFiles(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, name="calendar_files", daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def calendar(*events: tuple[datetime, datetime, str]) -> str:
    """An ICS file with these events (UTC start, UTC end, summary): what Google writes."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Mødeplan tests//DA"]
    for n, (start, end, summary) in enumerate(events):
        lines += [
            "BEGIN:VEVENT",
            f"UID:event-{n}@tests",
            "DTSTAMP:20261201T000000Z",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{end:%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{summary}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
