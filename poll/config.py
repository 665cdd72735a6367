"""Configuration: defaults, then the environment, then test overrides.

The environment is read once, at start-up, through SETTINGS: every variable Mødeplan reads is
listed there, checked, and turned into its config value. A bad value, a missing secret or an
unknown MODEPLAN_* variable (a typo) stops create_app with a ConfigError that names the
variable; the command line prints it and exits with status 2. An empty variable counts as unset.
README.md's configuration table and .env.example list the same settings (a test checks).
"""

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .mailer import DEFAULT_SENDER, MailSettings, default_sender

DEV_SECRET_KEY = "dev-only-not-secret"
MIN_SECRET_KEY_LENGTH = 32
PREFIX = "MODEPLAN_"


class ConfigError(click.ClickException):
    """A setting is missing or wrong. A ClickException, so `flask` and `modeplan` print the
    message without a traceback and exit with status 2."""

    exit_code = 2


class Invalid(ValueError):
    """Raised by a parser with what the setting expects; the caller adds the name and value."""


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    kind: str  # what it takes, for people
    default: str  # as the variable would be written; "" when there is none
    meaning: str
    # The app.config key and the parser of the text; None for the MAIL_* settings, which
    # poll.mailer.MailSettings reads from the environment at every send (checked at start-up).
    key: str | None = None
    parse: Callable[[str], object] | None = None


def database_url(text: str) -> str:
    """postgres:// and postgresql:// go through psycopg 3; only PostgreSQL and SQLite serve."""
    for prefix in ("postgres://", "postgresql://"):
        if text.startswith(prefix):
            text = "postgresql+psycopg://" + text[len(prefix) :]
    try:
        backend = make_url(text).get_backend_name()
    except ArgumentError:
        backend = None
    if backend not in ("postgresql", "sqlite"):
        raise Invalid("a postgresql://… or sqlite:///… URL")
    return text


def secret_key(text: str) -> str:
    if len(text) < MIN_SECRET_KEY_LENGTH:
        raise Invalid(
            f"at least {MIN_SECRET_KEY_LENGTH} random characters"
            " (python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return text


def absolute_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise Invalid("an absolute http:// or https:// URL such as https://modeplan.example.dk")
    return text.rstrip("/")


def absolute_folder(text: str) -> str:
    if not Path(text).is_absolute():
        raise Invalid("an absolute folder path such as /var/lib/modeplan")
    return text


def whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not (text.isascii() and text.isdigit()) or int(text) < minimum:
            raise Invalid(f"a whole number of {minimum} or more")
        return int(text)

    return parse


TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")


def boolean(text: str) -> bool:
    if text.lower() in TRUE + FALSE:
        return text.lower() in TRUE
    raise Invalid("true or false")


def seconds(text: str) -> timedelta:
    return timedelta(seconds=whole_number(1)(text))


def proxy_count(text: str) -> int:
    """A number of trusted proxies; true means one, false none."""
    if text.lower() in TRUE + FALSE:
        return int(text.lower() in TRUE)
    try:
        return whole_number(0)(text)
    except Invalid:
        raise Invalid("a number of proxies (0 or more), true (1) or false (0)") from None


def one_line(text: str) -> str:
    if len(text) > 300 or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise Invalid("one line of text, at most 300 characters")
    return text


def was_url(text: str) -> str:
    """The installation's accessibility statement on Digitaliseringsstyrelsen's WAS tool."""
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not (host == "was.digst.dk" or host.endswith(".digst.dk")):
        raise Invalid("an https://was.digst.dk/… address")
    return text


def one_of(*choices: str, upper: bool = False) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.upper() if upper else text.lower()
        if value not in choices:
            raise Invalid(" or ".join(choices))
        return value

    return parse


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        "postgresql:// or sqlite:/// URL",
        "",
        "the database: postgresql://user:password@host/db in production (psycopg 3); unset,"
        " SQLite in the instance folder",
        "SQLALCHEMY_DATABASE_URI",
        database_url,
    ),
    Setting(
        "MODEPLAN_SECRET_KEY",
        f"text, at least {MIN_SECRET_KEY_LENGTH} characters",
        "",
        "required outside debug and testing: signs sessions; personal and calendar links are"
        " derived from it, so changing it replaces every link",
        "SECRET_KEY",
        secret_key,
    ),
    Setting(
        "MODEPLAN_BASE_URL",
        "absolute http(s) URL",
        "http://127.0.0.1:5000",
        "where the app is served: the base of the links in mails and feeds",
        "BASE_URL",
        absolute_url,
    ),
    Setting(
        "MODEPLAN_INSTANCE_PATH",
        "absolute folder path",
        "",
        "the folder the app writes to: the default SQLite database and outbox/; default"
        " instance/ in a checkout, <venv>/var/poll-instance when installed, which the service's"
        " user may not be allowed to write",
        "INSTANCE_PATH",
        absolute_folder,
    ),
    Setting(
        "MODEPLAN_REMINDER_DAYS",
        "whole number ≥ 0",
        "3",
        "`remind --auto` reminds this many days before the deadline",
        "REMINDER_DAYS",
        whole_number(0),
    ),
    Setting(
        "MODEPLAN_SESSION_COOKIE_SECURE",
        "true or false",
        "false",
        "true behind HTTPS: the login cookie is sent only over HTTPS, and HSTS is on",
        "SESSION_COOKIE_SECURE",
        boolean,
    ),
    Setting(
        "MODEPLAN_PERMANENT_SESSION_LIFETIME",
        "seconds, ≥ 1",
        "43200",
        "how long a coordinator's login lasts after the last request",
        "PERMANENT_SESSION_LIFETIME",
        seconds,
    ),
    Setting(
        "MODEPLAN_PROXY_FIX",
        "whole number ≥ 0 (true = 1, false = 0)",
        "0",
        "how many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none"
        " trusted); set it behind nginx or Apache so login throttling sees real addresses",
        "PROXY_FIX",
        proxy_count,
    ),
    Setting(
        "MODEPLAN_WORKERS",
        "inline or external",
        "inline",
        "inline: solves and mail batches run in a thread of the web process; external: a"
        " separate worker process runs them",
        "WORKERS",
        one_of("inline", "external"),
    ),
    Setting(
        "MODEPLAN_LOG_FORMAT",
        "plain or json",
        "plain",
        "the form of the log lines on standard error",
        "LOG_FORMAT",
        one_of("plain", "json"),
    ),
    Setting(
        "MODEPLAN_LOG_LEVEL",
        "DEBUG, INFO, WARNING, ERROR or CRITICAL",
        "INFO",
        "the least important log lines written",
        "LOG_LEVEL",
        one_of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", upper=True),
    ),
    Setting(
        "MODEPLAN_PRIVACY_CONTROLLER",
        "one line of text",
        "",
        "the data controller the privacy page (/privatliv) names: the organisation responsible"
        " for the personal data, e.g. the library that runs Mødeplan, with its address",
        "PRIVACY_CONTROLLER",
        one_line,
    ),
    Setting(
        "MODEPLAN_PRIVACY_CONTACT",
        "one line of text",
        "",
        "where the privacy page sends questions about personal data: an e-mail address, or the"
        " data protection officer's",
        "PRIVACY_CONTACT",
        one_line,
    ),
    Setting(
        "MODEPLAN_ACCESSIBILITY_CONTACT",
        "one line of text",
        "",
        "where the accessibility statement (/tilgaengelighed) sends people who meet a barrier:"
        " an e-mail address or a web form; unset, the privacy contact",
        "ACCESSIBILITY_CONTACT",
        one_line,
    ),
    Setting(
        "MODEPLAN_WAS_URL",
        "https://was.digst.dk/… address",
        "",
        "the installation's accessibility statement on Digitaliseringsstyrelsen's WAS tool;"
        " the statement page links to it",
        "WAS_URL",
        was_url,
    ),
    Setting(
        "MODEPLAN_PURGE_MONTHS",
        "whole number ≥ 1",
        "24",
        "answers, comments and mails of a poll are kept this many months after its year ends:"
        " `purge` removes them then (its default), and the privacy page says so",
        "PURGE_MONTHS",
        whole_number(1),
    ),
    Setting(
        "MAIL_HOST",
        "host name",
        "",
        "the SMTP server; unset, mails are written to outbox/ in the instance folder",
    ),
    Setting(
        "MAIL_PORT",
        "port number 1-65535",
        "587",
        "the SMTP server's port; unset, 587 for starttls, 465 for tls, 25 for none",
    ),
    Setting(
        "MAIL_SECURITY",
        "starttls, tls or none",
        "starttls",
        "how the connection to the SMTP server is encrypted",
    ),
    Setting(
        "MAIL_USERNAME",
        "text",
        "",
        "the SMTP login; set with MAIL_PASSWORD",
    ),
    Setting(
        "MAIL_PASSWORD",
        "text",
        "",
        "the SMTP password; set with MAIL_USERNAME",
    ),
    Setting(
        "MAIL_SENDER",
        "one e-mail address, with or without a name",
        "",
        "the From of every mail; unset, noreply at the domain of MODEPLAN_BASE_URL (required"
        " with MAIL_HOST outside debug and testing when that URL names no domain)",
    ),
    Setting(
        "MAIL_TIMEOUT",
        "seconds, above 0 and at most 3600",
        "30",
        "how long to wait for each answer of the SMTP server before the batch stops; what"
        " was not sent can be sent again from the messages page",
    ),
)


def defaults(instance_path: str) -> dict:
    return {
        "SECRET_KEY": DEV_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance_path) / 'modeplan.sqlite3'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": "da",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
        "LANGUAGES": ["da", "en"],
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        # A login lasts 12 hours from the last request (Flask's default is 31 days).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # Login throttling; poll/auth.py explains the scheme.
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_ACCOUNT_WINDOW_SECONDS": 24 * 3600,
        "LOGIN_BACKOFF_SECONDS": 60,
        "LOGIN_BACKOFF_MAX_SECONDS": 15 * 60,
        "LOGIN_ADDRESS_MAX_FAILURES": 20,
        "LOGIN_WINDOW_SECONDS": 15 * 60,
        # "Lost your link?" on the start page; poll/lost_links.py explains the limits.
        "LOST_LINK_ADDRESS_MAX": 5,
        "LOST_LINK_ADDRESS_WINDOW_SECONDS": 3600,
        "LOST_LINK_EMAIL_MAX": 3,
        "LOST_LINK_EMAIL_WINDOW_SECONDS": 24 * 3600,
        # "Forgot your password?" on the login page; poll/password_reset.py explains the limits.
        "PASSWORD_RESET_ADDRESS_MAX": 10,
        "PASSWORD_RESET_ADDRESS_WINDOW_SECONDS": 3600,
        "PASSWORD_RESET_EMAIL_MAX": 3,
        "PASSWORD_RESET_EMAIL_WINDOW_SECONDS": 3600,
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (true = 1).
        "PROXY_FIX": 0,
        "COMMENT_MAX_LENGTH": 2000,
        # The privacy page and `purge`; SETTINGS says what they mean.
        "PRIVACY_CONTROLLER": "",
        "PRIVACY_CONTACT": "",
        "PURGE_MONTHS": 24,
        # The accessibility statement; SETTINGS says what they mean.
        "ACCESSIBILITY_CONTACT": "",
        "WAS_URL": "",
        # Read by the worker and logging set-up; SETTINGS says what they mean.
        "WORKERS": "inline",
        "LOG_FORMAT": "plain",
        "LOG_LEVEL": "INFO",
    }


def from_environment(environ: Mapping[str, str]) -> dict:
    """The config values the environment sets; ConfigError lists every problem found."""
    values: dict = {}
    problems: list[str] = []
    for setting in SETTINGS:
        text = environ.get(setting.name, "").strip()
        if not text or setting.parse is None:
            continue
        try:
            values[setting.key] = setting.parse(text)
        except Invalid as expected:
            shown = "…" if setting.name == "MODEPLAN_SECRET_KEY" else text
            problems.append(f'{setting.name} must be {expected}, got "{shown}"')
    try:
        MailSettings.from_env(environ, outbox_dir=None)
    except ValueError as wrong:
        problems.append(str(wrong))
    # A typo is compared without the prefix (which every name shares); MODEPLAN_MAIL_PORT
    # points to MAIL_PORT.
    known = {s.name.removeprefix(PREFIX): s.name for s in SETTINGS}
    for name in sorted(n for n in environ if n.startswith(PREFIX) and n not in known.values()):
        close = difflib.get_close_matches(name.removeprefix(PREFIX), known, n=1, cutoff=0.75)
        hint = f"; did you mean {known[close[0]]}?" if close else ""
        problems.append(f"{name} is not a setting of Mødeplan{hint}")
    if problems:
        raise ConfigError(configuration_message(problems))
    return values


def configuration_message(problems: list[str]) -> str:
    lines = "\n".join(f"  {problem}" for problem in problems)
    return f"the configuration is not usable:\n{lines}\n(README.md, section Configuration)"


def require_secret_key(config: Mapping, debug: bool) -> None:
    if config["SECRET_KEY"] == DEV_SECRET_KEY and not (debug or config.get("TESTING")):
        raise ConfigError(
            configuration_message(
                [
                    "MODEPLAN_SECRET_KEY must be set (or run with --debug):"
                    " the development secret is not safe"
                ]
            )
        )


def require_mail_sender(config: Mapping, environ: Mapping[str, str], debug: bool) -> None:
    """Mail must not go out from noreply@localhost: with MAIL_HOST set outside debug and
    testing, MAIL_SENDER is required unless MODEPLAN_BASE_URL names the site's domain (the
    sender is then noreply at that domain, poll.mailer.default_sender)."""
    if debug or config.get("TESTING"):
        return
    if not environ.get("MAIL_HOST", "").strip() or environ.get("MAIL_SENDER", "").strip():
        return
    if default_sender(config.get("BASE_URL")) == DEFAULT_SENDER:
        raise ConfigError(
            configuration_message(
                [
                    "MAIL_SENDER must be set when MAIL_HOST is (or MODEPLAN_BASE_URL must name"
                    " the site's domain): mail from noreply@localhost is refused or lost"
                ]
            )
        )
