"""Security headers on every response, and the real client address behind a reverse proxy."""

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)
# Paths that carry a personal, feed or one-time account token: member pages, member meeting
# pages, feeds, the links to set or reset a password.
TOKEN_PATHS = ("/m/", "/kalender/", "/konto/adgangskode/", "/konto/nulstil/")
# Paths whose pages may show a token (member links, feed links) or the coordinator's data.
PRIVATE_PATHS = ("/m/", "/tovholder/")
HSTS = "max-age=31536000"


def proxy_count(value: object) -> int:
    """MODEPLAN_PROXY_FIX as a number of trusted proxies: false/0 off, true 1, or a count."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "false", "no", "off"):
            return 0
        if text in ("true", "yes", "on"):
            return 1
        if text.isdigit():
            return int(text)
    raise ValueError(f"MODEPLAN_PROXY_FIX must be true, false or a number of proxies: {value!r}")


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith(TOKEN_PATHS):
        # The token is in the URL: it must never leave as a Referer, nor be indexed.
        headers["Referrer-Policy"] = "no-referrer"
        headers.setdefault("X-Robots-Tag", "noindex")
    else:
        headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if "Cache-Control" not in headers and (
        response.mimetype == "text/html" or request.path.startswith(PRIVATE_PATHS)
    ):
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    if proxies := proxy_count(app.config["PROXY_FIX"]):
        # Flask's documented way to wrap its WSGI app; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies
        )
    app.after_request(security_headers)
