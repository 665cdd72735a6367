"""create-network and create-admin, and the one-time link where an account sets its password."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from poll.db import db
from poll.models import AccountToken, CoordinatorAccount, Network, Role, utcnow
from tests.conftest import TEST_SECRET
from tests.html_forms import form_fields, with_values

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GOOD_PASSWORD = "læsehest-vejle-2027"
LINK = re.compile(r"https?://\S+/konto/adgangskode/\S+")


def _create(runner, slug="vest", email="anna@vest.dk", *extra: str):
    return runner.invoke(
        args=["create-network", slug, "Netværk Vest", "--coordinator", email, *extra]
    )


def _path(output: str) -> str:
    return urlsplit(LINK.search(output).group(0)).path


def _set(client, path: str, password: str, confirm: str | None = None):
    page = client.get(path)
    assert page.status_code == 200
    fields = with_values(
        form_fields(page.get_data(as_text=True)),
        {"password": password, "confirm": password if confirm is None else confirm},
    )
    return client.post(path, data=MultiDict(fields))


def _log_in(client, email: str, password: str):
    return client.post("/tovholder/login", data={"email": email, "password": password})


def _counts() -> tuple[int, int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Network, CoordinatorAccount, AccountToken, Role)
    )


def test_create_network_makes_the_network_its_roles_and_an_account_without_password(app, runner):
    done = _create(runner, "vest", "Anna@Vest.dk", "--coordinator-name", "Anna Holm")
    assert done.exit_code == 0, done.output
    assert "vest" in done.output
    assert "7" in done.output and LINK.search(done.output)
    with app.app_context():
        network = db.session.scalar(select(Network).where(Network.slug == "vest"))
        assert network.name == "Netværk Vest"
        assert (network.meeting_start.hour, network.meeting_end.hour) == (10, 15)
        assert network.timezone == "Europe/Copenhagen"
        assert [r.key for r in network.roles] == ["planning", "leader", "notes", "presenter"]
        planning, leader, notes, _presenter = network.roles
        assert planning.per_meeting == 3 and planning.includes_coordinator
        assert leader.within == "planning" and notes.conflicts == ["planning"]
        assert network.venues == [] and network.members == []
        account = db.session.scalar(select(CoordinatorAccount))
        assert (account.email, account.name, [n.id for n in account.networks]) == (
            "anna@vest.dk",
            "Anna Holm",
            [network.id],
        )
        assert "$" not in account.password_hash and not account.is_admin
        token = db.session.scalar(select(AccountToken))
        assert token.purpose == "set-password" and token.used_at is None
        assert timedelta(days=6, hours=23) < token.expires_at - utcnow() <= timedelta(days=7)
        # Only a hash is stored: the printed token is nowhere in the database.
        printed = _path(done.output).rsplit("/", 1)[1]
        assert printed not in token.token_hash and len(token.token_hash) == 64


def test_the_printed_link_sets_a_password_that_logs_in_once(app, runner, client):
    done = _create(runner)
    path = _path(done.output)
    assert _log_in(client, "anna@vest.dk", GOOD_PASSWORD).status_code == 401
    page = client.get(path)
    assert "anna@vest.dk" in page.get_data(as_text=True)
    saved = _set(client, path, GOOD_PASSWORD)
    assert saved.status_code == 302 and saved.location.endswith("/tovholder/login")
    login_page = client.get(saved.location).get_data(as_text=True)
    assert "Din adgangskode er gemt" in login_page
    assert _log_in(client, "anna@vest.dk", GOOD_PASSWORD).status_code == 302
    dashboard = client.get("/tovholder/")
    assert dashboard.status_code == 200
    assert "Netværk Vest" in dashboard.get_data(as_text=True)
    # The link is used up: a second visit or post is refused, the password stays.
    again = client.get(path)
    assert again.status_code == 404
    assert "brugt" in again.get_data(as_text=True)
    assert (
        client.post(
            path, data={"password": "en-helt-anden-kode", "confirm": "en-helt-anden-kode"}
        ).status_code
        == 404
    )
    with app.app_context():
        assert db.session.scalar(select(AccountToken.used_at)) is not None


def test_setting_a_password_ends_the_account_s_other_sessions(app, runner, client):
    path = _path(_create(runner).output)
    assert _set(client, path, GOOD_PASSWORD).status_code == 302
    assert _log_in(client, "anna@vest.dk", GOOD_PASSWORD).status_code == 302
    assert client.get("/tovholder/").status_code == 200
    with app.app_context():
        version = db.session.scalar(select(CoordinatorAccount.session_version))
    other = app.test_client()
    path = _path(runner.invoke(args=["create-admin", "anna@vest.dk"]).output)
    assert _set(other, path, "en-anden-god-kode-42").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(CoordinatorAccount.session_version)) == version + 1
    assert client.get("/tovholder/").status_code == 302


def test_an_expired_link_is_refused(app, runner, client):
    path = _path(_create(runner).output)
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    for response in (
        client.get(path),
        client.post(path, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}),
    ):
        assert response.status_code == 404
        assert "udløbet" in response.get_data(as_text=True)
    assert _log_in(client, "anna@vest.dk", GOOD_PASSWORD).status_code == 401


@pytest.mark.parametrize(
    "path",
    ["/konto/adgangskode/" + "x" * 43, "/konto/adgangskode/kort", "/konto/adgangskode/%C3%A6%00x"],
)
def test_an_unknown_link_is_refused_without_an_error(app, client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Linket er ukendt" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("kort-kode", None, "Ny adgangskode: mindst 10 tegn."),
        ("1234567890", None, "Ny adgangskode: det er en af de mest almindelige adgangskoder"),
        ("Qwertyuiop", None, "Ny adgangskode: det er en af de mest almindelige adgangskoder"),
        (
            GOOD_PASSWORD,
            GOOD_PASSWORD + "x",
            "Gentag adgangskoden: de to adgangskoder er forskellige.",
        ),
        ("", "", "Ny adgangskode: udfyld en adgangskode."),
        ("x" * 201, None, "Ny adgangskode: højst 200 tegn."),
    ],
)
def test_a_weak_or_mismatched_password_is_refused_by_field(
    app, runner, client, password, confirm, message
):
    path = _path(_create(runner).output)
    response = _set(client, path, password, confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert "$" not in db.session.scalar(select(CoordinatorAccount.password_hash))
        assert db.session.scalar(select(AccountToken.used_at)) is None
    assert _set(client, path, GOOD_PASSWORD).status_code == 302  # the link still works


def test_an_existing_slug_changes_nothing_and_exits_1(app, runner):
    assert _create(runner).exit_code == 0
    with app.app_context():
        before = _counts()
    again = _create(runner, "vest", "bo@andet.dk")
    assert again.exit_code == 1
    assert "vest" in again.output and "Intet er ændret" in again.output
    assert not LINK.search(again.output)
    with app.app_context():
        assert _counts() == before
        assert db.session.scalar(select(Network.name)) == "Netværk Vest"


def test_an_e_mail_that_coordinates_another_network_gets_the_new_one_too(app, runner, client):
    path = _path(_create(runner).output)
    assert _set(client, path, GOOD_PASSWORD).status_code == 302
    again = _create(runner, "oest", "ANNA@vest.dk")
    assert again.exit_code == 0, again.output
    # It has a password: no new link, and the output says so.
    assert not LINK.search(again.output)
    assert "har allerede en konto med adgangskode" in again.output
    with app.app_context():
        account = db.session.scalar(select(CoordinatorAccount))
        assert sorted(n.slug for n in account.networks) == ["oest", "vest"]
        assert db.session.scalar(select(func.count()).select_from(CoordinatorAccount)) == 1
    # The password logs in, and the account chooses between its two networks.
    assert _log_in(client, "anna@vest.dk", GOOD_PASSWORD).status_code == 302
    assert client.get("/tovholder/").location.startswith("/konto/netvaerk")


def test_an_account_still_without_password_gets_a_new_link_with_the_new_network(app, runner):
    first = _path(_create(runner).output)
    again = _create(runner, "oest", "anna@vest.dk")
    assert again.exit_code == 0, again.output
    assert LINK.search(again.output) and _path(again.output) != first


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["create-network", "Vest Net", "N", "--coordinator", "a@b.dk"], "SLUG"),
        (["create-network", "-vest", "N", "--coordinator", "a@b.dk"], "SLUG"),
        (["create-network", "v" * 61, "N", "--coordinator", "a@b.dk"], "SLUG"),
        (["create-network", "vest", "N", "--coordinator", "ikke-en-adresse"], "--coordinator"),
        (["create-network", "vest", "N", "--coordinator", "a@b"], "--coordinator"),
        (["create-network", "vest", " ", "--coordinator", "a@b.dk"], "NAME"),
        (
            [
                "create-network",
                "vest",
                "N",
                "--coordinator",
                "a@b.dk",
                "--coordinator-name",
                "a\x00",
            ],
            "--coordinator-name",
        ),
        (["create-admin", "a@@b.dk"], "EMAIL"),
    ],
)
def test_bad_input_exits_2_naming_the_argument(app, runner, args, named):
    done = runner.invoke(args=args)
    assert done.exit_code == 2
    assert named in done.output
    assert "Traceback" not in done.output
    with app.app_context():
        assert _counts() == (0, 0, 0, 0)


def test_an_admin_sets_a_password_and_logs_in(app, runner, client):
    done = runner.invoke(args=["create-admin", "Admin@Bibliotek.dk"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        account = db.session.scalar(select(CoordinatorAccount))
        assert (account.email, account.is_admin, account.networks) == (
            "admin@bibliotek.dk",
            True,
            [],
        )
    assert _set(client, _path(done.output), GOOD_PASSWORD).status_code == 302
    assert _log_in(client, "admin@bibliotek.dk", GOOD_PASSWORD).status_code == 302
    # An administrator who coordinates no network goes to the administrator's page.
    for page in ("/tovholder/", "/konto/netvaerk"):
        sent = client.get(page)
        assert sent.status_code == 302 and sent.location.endswith("/admin/"), page


def test_an_admin_can_later_coordinate_a_new_network(app, runner, client):
    assert runner.invoke(args=["create-admin", "admin@bibliotek.dk"]).exit_code == 0
    done = _create(runner, "vest", "admin@bibliotek.dk")
    assert done.exit_code == 0, done.output
    with app.app_context():
        account = db.session.scalar(select(CoordinatorAccount))
        assert account.is_admin and [n.slug for n in account.networks] == ["vest"]
        assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 1


def test_a_new_link_replaces_the_unused_one(app, runner, client):
    first = _path(runner.invoke(args=["create-admin", "admin@bibliotek.dk"]).output)
    second = _path(runner.invoke(args=["create-admin", "admin@bibliotek.dk"]).output)
    assert client.get(first).status_code == 404
    assert _set(client, second, GOOD_PASSWORD).status_code == 302
    assert _log_in(client, "admin@bibliotek.dk", GOOD_PASSWORD).status_code == 302


def test_modeplan_create_network_prints_a_link_that_works(app, client):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MODEPLAN_", "MAIL_", "FLASK_")) and name != "DATABASE_URL"
    }
    done = subprocess.run(
        [
            str(BIN / "modeplan"),
            "create-network",
            "vest",
            "Netværk Vest",
            "--coordinator",
            "anna@vest.dk",
        ],
        cwd=ROOT,
        env={
            **env,
            "DATABASE_URL": url,
            "MODEPLAN_SECRET_KEY": TEST_SECRET,
            "MODEPLAN_BASE_URL": "https://moeder.example.dk/app",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    link = LINK.search(done.stdout).group(0)
    assert link.startswith("https://moeder.example.dk/app/konto/adgangskode/")
    path = urlsplit(link).path.removeprefix("/app")
    assert _set(client, path, GOOD_PASSWORD).status_code == 302
    assert _log_in(client, "anna@vest.dk", GOOD_PASSWORD).status_code == 302
    assert client.get("/tovholder/").status_code == 200


def test_the_form_needs_its_csrf_token(app, runner, strict):
    path = _path(_create(runner).output)
    client = strict.test_client()
    bare = client.post(path, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert bare.status_code == 400
    assert "sikkerhedstegn" in bare.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AccountToken.used_at)) is None
    fields = form_fields(client.get(path).get_data(as_text=True))
    assert "csrf_token" in dict(fields)
    posted = client.post(
        path,
        data=MultiDict(with_values(fields, {"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})),
    )
    assert posted.status_code == 302
    with strict.app_context():
        db.engine.dispose()
