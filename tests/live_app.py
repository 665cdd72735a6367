"""The app served by werkzeug in a process of its own, for tests that need a real server with
real parallel clients: `python -m tests.live_app DATABASE_URL` prints its port, then serves.
Extra settings come as KEY=VALUE arguments (values are read as JSON where they parse)."""

from __future__ import annotations

import json
import sys

from werkzeug.serving import make_server

from tests.conftest import make_app


def main(argv: list[str]) -> None:
    settings = {}
    for item in argv[1:]:
        key, _, value = item.partition("=")
        try:
            settings[key] = json.loads(value)
        except ValueError:
            settings[key] = value
    app = make_app(argv[0], SERVER_NAME=None, **settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
