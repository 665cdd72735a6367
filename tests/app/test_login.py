import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urljoin, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from poll import auth
from poll.db import db
from poll.models import CoordinatorAccount, LoginFailure, Network
from tests.conftest import make_app
from tests.factories import PASSWORD, make_network


def test_wrong_password_is_refused_and_nothing_opens(app, client):
    with app.app_context():
        fx = make_network()
    refused = client.post("/tovholder/login", data={"email": fx.email, "password": "forkert"})
    assert refused.status_code == 401
    assert "Forkert e-mail eller adgangskode" in refused.get_data(as_text=True)
    assert client.get("/tovholder/").status_code == 302


def test_empty_fields_are_named(app, client):
    response = client.post("/tovholder/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "E-mail: udfyld din e-mailadresse." in page
    assert "Adgangskode: udfyld din adgangskode." in page


def test_login_attempts_are_rate_limited(app, client):
    with app.app_context():
        fx = make_network()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/tovholder/login", data={"email": fx.email, "password": "gæt"})
    # Even the right password waits now.
    blocked = client.post("/tovholder/login", data={"email": fx.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "For mange mislykkede forsøg" in blocked.get_data(as_text=True)
    assert client.get("/tovholder/").status_code == 302


def test_login_returns_to_the_page_asked_for_but_never_off_site(app, client):
    with app.app_context():
        fx = make_network()
    asked = client.get("/tovholder/roller")
    assert asked.status_code == 302 and "next=" in asked.headers["Location"]
    back = client.post(
        "/tovholder/login?next=/tovholder/roller", data={"email": fx.email, "password": PASSWORD}
    )
    assert back.headers["Location"].endswith("/tovholder/roller")
    client.post("/tovholder/logout")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(
            f"/tovholder/login?next={target}", data={"email": fx.email, "password": PASSWORD}
        )
        assert response.headers["Location"].endswith("/tovholder/")
        client.post("/tovholder/logout")


def test_logout_ends_the_session(app, client):
    with app.app_context():
        fx = make_network()
    client.post("/tovholder/login", data={"email": fx.email, "password": PASSWORD})
    assert client.get("/tovholder/").status_code == 200
    assert client.post("/tovholder/logout").status_code == 302
    assert client.get("/tovholder/").status_code == 302


# -- redirects after login --------------------------------------------------------------------

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "////evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "%2F%2Fevil.example",
    "javascript:alert(1)",
    "evil.example",
]


def _as_a_browser_reads(location: str) -> tuple[str, str]:
    """(host, path) of a Location header, the way browsers resolve it: tabs and line breaks are
    dropped, a backslash is a slash, the rest is relative to the login page."""
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    parts = urlsplit(urljoin("http://modeplan.test/tovholder/login", cleaned))
    return parts.netloc, parts.path


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_sends_the_browser_off_site(app, client, target):
    with app.app_context():
        fx = make_network()
    response = client.post(
        f"/tovholder/login?next={quote(target, safe='')}",
        data={"email": fx.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.isprintable()
    assert _as_a_browser_reads(location) == ("modeplan.test", "/tovholder/")


def test_login_keeps_a_path_of_this_site_with_its_query(app, client):
    with app.app_context():
        fx = make_network()
    response = client.post(
        f"/tovholder/login?next={quote('/tovholder/medlemmer?side=2', safe='')}",
        data={"email": fx.email, "password": PASSWORD},
    )
    assert _as_a_browser_reads(response.headers["Location"]) == (
        "modeplan.test",
        "/tovholder/medlemmer",
    )
    assert response.headers["Location"].endswith("/tovholder/medlemmer?side=2")


# -- throttling -------------------------------------------------------------------------------

ATTACKER, OFFICE, CAFE = "198.51.100.66", "203.0.113.10", "192.0.2.44"


def _try(client, email: str, password: str, address: str):
    return client.post(
        "/tovholder/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _age_failures(app, seconds: int) -> None:
    """Let time pass for the throttle: every recorded failure becomes `seconds` older."""
    with app.app_context():
        for failure in db.session.scalars(select(LoginFailure)):
            failure.at -= timedelta(seconds=seconds)
        db.session.commit()


def test_an_attacker_elsewhere_cannot_lock_the_coordinator_out(app, client):
    with app.app_context():
        fx = make_network()
    answers = [_try(client, fx.email, f"gæt {i}", ATTACKER).status_code for i in range(20)]
    assert answers[:5] == [401] * 5
    assert set(answers[5:]) == {429}
    # The attacker's address is held back even with the right password ...
    assert _try(client, fx.email, PASSWORD, ATTACKER).status_code == 429
    # ... but the coordinator, from an address with no failures of its own, gets in at once.
    office = app.test_client()
    assert _try(office, fx.email, PASSWORD, OFFICE).headers["Location"].endswith("/tovholder/")
    assert office.get("/tovholder/").status_code == 200


def test_the_account_back_off_doubles_up_to_fifteen_minutes(app, client):
    with app.app_context():
        fx = make_network()
    for i in range(5):
        _try(client, fx.email, f"gæt {i}", ATTACKER)
    blocked = _try(client, fx.email, "gæt", ATTACKER)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    assert "For mange mislykkede forsøg. Prøv igen om 1 minut." in blocked.get_data(as_text=True)
    waits = []
    for _ in range(6):
        _age_failures(app, int(_try(client, fx.email, "gæt", ATTACKER).headers["Retry-After"]))
        assert _try(client, fx.email, "gæt igen", ATTACKER).status_code == 401  # one more guess
        waits.append(int(_try(client, fx.email, "gæt", ATTACKER).headers["Retry-After"]))
    assert waits == [120, 240, 480, 900, 900, 900]
    # A wrong password from the coordinator's own (clean) address is not held back either.
    assert _try(app.test_client(), fx.email, "tastefejl", OFFICE).status_code == 401


def test_one_address_has_a_hard_limit_across_accounts(app, client):
    with app.app_context():
        fx = make_network()
    for i in range(app.config["LOGIN_ADDRESS_MAX_FAILURES"]):
        assert _try(client, f"gæt{i}@example.dk", "gæt", ATTACKER).status_code == 401
    # Spread over many e-mails, no account counter is reached; the address's limit is.
    assert _try(client, fx.email, PASSWORD, ATTACKER).status_code == 429
    assert _try(client, fx.email, PASSWORD, CAFE).status_code == 302
    _age_failures(app, app.config["LOGIN_WINDOW_SECONDS"])
    assert _try(app.test_client(), fx.email, PASSWORD, ATTACKER).status_code == 302


def test_changing_the_case_or_adding_spaces_does_not_reset_the_count(app, client):
    with app.app_context():
        fx = make_network()
    variants = [fx.email.upper(), f" {fx.email}", fx.email.title(), f"{fx.email} ", fx.email]
    # One guess from each of five addresses, each spelling the e-mail differently.
    for n, email in enumerate(variants):
        assert _try(client, email, "gæt", f"198.51.100.{n}").status_code == 401
    with app.app_context():
        assert set(db.session.scalars(select(LoginFailure.email))) == {fx.email}
    # All five count for the account: a sixth spelling from one of them is held back.
    assert _try(client, fx.email.swapcase(), PASSWORD, "198.51.100.0").status_code == 429
    # The same normalisation lets the coordinator in however the address is typed.
    assert _try(app.test_client(), f" {fx.email.upper()} ", PASSWORD, OFFICE).status_code == 302


def test_unknown_and_known_e_mails_get_the_same_password_check(app, client, monkeypatch):
    with app.app_context():
        fx = make_network()
    checked = []

    def counting_check(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", counting_check)
    unknown = _try(client, "ukendt@example.dk", "gæt", ATTACKER)
    known = _try(client, fx.email, "gæt", ATTACKER)
    # An imported account that has no password yet ("!") costs the same too.
    with app.app_context():
        network = db.session.get(Network, fx.network_id)
        db.session.add(
            CoordinatorAccount(networks=[network], email="ny@test.dk", name="Ny", password_hash="!")
        )
        db.session.commit()
    unset = _try(client, "ny@test.dk", "!", ATTACKER)
    assert [r.status_code for r in (unknown, known, unset)] == [401, 401, 401]
    assert len(checked) == 3
    # The stand-in is a real hash made the same way, so it costs the same to check.
    assert checked[0].split("$")[0] == checked[1].split("$")[0]
    assert checked[0] != checked[1] and checked[2] == checked[0]
    with app.app_context():
        emails = sorted(db.session.scalars(select(LoginFailure.email)))
    assert emails == sorted(["ukendt@example.dk", fx.email, "ny@test.dk"])


def test_old_failures_are_purged_when_a_new_one_is_written(app, client):
    with app.app_context():
        fx = make_network()
    _try(client, fx.email, "gæt", ATTACKER)
    _age_failures(app, app.config["LOGIN_ACCOUNT_WINDOW_SECONDS"] + 60)
    _try(client, fx.email, "gæt igen", CAFE)
    with app.app_context():
        assert list(db.session.scalars(select(LoginFailure.remote_addr))) == [CAFE]


def test_a_successful_login_clears_that_address_s_failures(app, client):
    with app.app_context():
        fx = make_network()
    _try(client, fx.email, "gæt", ATTACKER)
    _try(client, fx.email, "tastefejl", OFFICE)
    assert _try(client, fx.email, PASSWORD, OFFICE).status_code == 302
    with app.app_context():
        assert list(db.session.scalars(select(LoginFailure.remote_addr))) == [ATTACKER]


@pytest.mark.parametrize("email", ["tovholder@test.dk\x00", "tovholder@test.dk\n", "a\tb@test.dk"])
def test_control_characters_in_the_e_mail_are_refused_by_name(app, client, email):
    with app.app_context():
        make_network()
    response = _try(client, email, PASSWORD, OFFICE)
    assert response.status_code == 400
    assert "E-mail: fjern de usynlige kontroltegn (fx linjeskift)." in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginFailure.id))) == 0


# -- the real client address behind a reverse proxy ---------------------------------------------


@pytest.mark.parametrize(
    ("environment", "recorded"),
    [
        ({}, "10.0.0.2"),
        ({"MODEPLAN_PROXY_FIX": "false"}, "10.0.0.2"),
        ({"MODEPLAN_PROXY_FIX": "true"}, "203.0.113.7"),
        ({"MODEPLAN_PROXY_FIX": "2"}, "198.51.100.1"),
    ],
)
def test_proxy_fix_setting_decides_which_address_is_counted(
    app, monkeypatch, environment, recorded
):
    monkeypatch.delenv("MODEPLAN_PROXY_FIX", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    served = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    response = served.test_client().post(
        "/tovholder/login",
        data={"email": "ukendt@example.dk", "password": "gæt"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"},
    )
    assert response.status_code == 401
    with served.app_context():
        addresses = list(db.session.scalars(select(LoginFailure.remote_addr)))
        db.session.remove()
        db.engine.dispose()
    assert addresses == [recorded]


# -- sessions ---------------------------------------------------------------------------------


def test_logout_ends_every_session_of_the_account_and_old_cookies(app, client):
    with app.app_context():
        fx = make_network()
    laptop, phone = client, app.test_client()
    for browser in (laptop, phone):
        assert _try(browser, fx.email, PASSWORD, OFFICE).status_code == 302
    copied = laptop.get_cookie("session", domain="modeplan.test").value
    assert laptop.post("/tovholder/logout").status_code == 302
    laptop.set_cookie("session", copied, domain="modeplan.test")
    assert laptop.get("/tovholder/").status_code == 302
    assert phone.get("/tovholder/").status_code == 302
    # Logging in again works as before.
    assert _try(phone, fx.email, PASSWORD, OFFICE).status_code == 302
    assert phone.get("/tovholder/").status_code == 200


def test_a_new_password_ends_every_session(app, client, runner):
    first = runner.invoke(args=["init-demo"])
    email, password = _demo_login(first.output)
    assert _try(client, email, password, OFFICE).status_code == 302
    assert client.get("/tovholder/").status_code == 200
    second = runner.invoke(args=["init-demo"])  # hands out a new password
    assert client.get("/tovholder/").status_code == 302
    assert _try(client, email, password, OFFICE).status_code == 401
    assert _try(client, *_demo_login(second.output), OFFICE).status_code == 302


def _demo_login(output: str) -> tuple[str, str]:
    email = re.search(r"e-mail:\s+(\S+)", output).group(1)
    return email, re.search(r"password:\s+(\S+)", output).group(1)


def test_a_login_lasts_twelve_hours_from_the_last_request(app, client):
    with app.app_context():
        fx = make_network()
    before = datetime.now(UTC)
    _try(client, fx.email, PASSWORD, OFFICE)
    expires = client.get_cookie("session", domain="modeplan.test").expires
    assert (
        before + timedelta(hours=11, minutes=59)
        < expires
        <= datetime.now(UTC) + timedelta(hours=12)
    )
