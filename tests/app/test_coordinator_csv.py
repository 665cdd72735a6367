"""Importing members from CSV: Danish Excel files, per-row error reports, all or nothing, and
files that cannot be read at all. Both engines."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from poll.db import db
from poll.members import member_by_token
from poll.models import Member
from tests.factories import log_in, make_network

LINK = re.compile(r'value="https?://[^"]*/m/([A-Za-z0-9_-]{20,64})"')
URL = "/tovholder/medlemmer/import"


@pytest.fixture
def fx(app, client):
    with app.app_context():
        fixture = make_network()
    log_in(client, fixture)
    return fixture


def upload(client, data: bytes, filename: str = "medlemmer.csv"):
    return client.post(
        URL,
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def member_count(app, fx) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(Member.id)).where(Member.network_id == fx.network_id)
        )


def test_a_danish_excel_file_with_bom_and_semicolons_is_imported(app, client, fx):
    csv = (
        "id;navn;e-mail;organisation;kan ikke\r\n"
        'berit;Berit Ærø;berit@example.dk;Vejle Bibliotekerne;"leader;notes"\r\n'
        "\r\n"
        "jens;Jens Å. Holm;jens@example.dk;;\r\n"
    ).encode("utf-8-sig")
    response = upload(client, csv)
    assert response.status_code == 201, text(response)
    assert response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert "2 medlemmer er importeret" in page
    tokens = LINK.findall(page)
    assert len(tokens) == 2
    with app.app_context():
        berit = db.session.scalar(select(Member).where(Member.key == "berit"))
        assert (berit.name, berit.email, berit.organisation, berit.cannot) == (
            "Berit Ærø",
            "berit@example.dk",
            "Vejle Bibliotekerne",
            ["leader", "notes"],
        )
        assert {member_by_token(t).key for t in tokens} == {"berit", "jens"}
    assert member_count(app, fx) == 5


def test_a_comma_file_without_bom_and_english_headings_is_imported(app, client, fx):
    csv = b"key,name,email,organization,cannot\nolga,Olga,olga@example.dk,Odense,presenter\n"
    response = upload(client, csv)
    assert response.status_code == 201
    with app.app_context():
        olga = db.session.scalar(select(Member).where(Member.key == "olga"))
        assert olga.cannot == ["presenter"] and olga.organisation == "Odense"


def test_rows_with_errors_are_reported_by_row_and_field_and_nothing_is_imported(app, client, fx):
    csv = (
        "id;navn;email;organisation;cannot\n"
        "anne;Anne;anne@example.dk;Vejle;\n"  # row 2: fine
        "henrik;Henrik Igen;h2@example.dk;;\n"  # row 3: key exists
        "bo;Bo;x;;\n"  # row 4: bad e-mail
        "anne;Anne To;anne2@example.dk;;\n"  # row 5: key repeated
        "Søs;;soes@example.dk;;boss\n"  # row 6: bad key, no name, unknown role
    ).encode()
    response = upload(client, csv)
    assert response.status_code == 422
    page = text(response)
    assert "Intet blev importeret." in page
    assert "alt eller intet" in page
    assert "Række 4: e-mail 'x' er ikke en gyldig e-mailadresse." in page
    assert "Række 3: id 'henrik' tilhører allerede medlemmet Henrik." in page
    assert "Række 5: id 'anne' bruges også i række 2." in page
    assert "Række 6: id 'søs' må kun indeholde små bogstaver" in page
    assert "Række 6: navn er tomt." in page
    assert "Række 6: kan ikke 'boss' er ikke en af netværkets roller" in page
    # The table has a row number and a column for every problem.
    cells = re.findall(r"<tr><th scope=\"row\">(\d+)</th><td>([^<]*)</td>", page)
    assert ("4", "e-mail") in cells and ("6", "navn") in cells and ("6", "kan ikke") in cells
    assert len(cells) == 6
    assert not LINK.findall(page)
    assert member_count(app, fx) == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("id;navn;email\nøle;Øle;ole@example.dk\n".encode("latin-1"), "Filen er ikke UTF-8-tekst"),
        ("id;navn;email\n".encode("utf-16"), "Filen er ikke UTF-8-tekst"),
        (b"", "Filen er tom."),
        (b"  \r\n\r\n", "Filen er tom."),
        (b"id;navn;organisation\nbo;Bo;Vejle\n", "Filen mangler kolonnen/kolonnerne: e-mail."),
        (b"bo;Bo;bo@example.dk\n", "Første række nævner ingen kendte kolonner."),
        (b"id;navn;email\n", "Filen har en overskriftsrække, men ingen medlemmer under den."),
        (b"id;navn;email;mail\nbo;Bo;b@x.dk;b@x.dk\n", "Kolonnen 'mail' står to gange"),
        (
            b"id;navn;email\n" + b"".join(f"m{i};M;m{i}@x.dk\n".encode() for i in range(501)),
            "Filen har 501 medlemmer; der kan højst importeres 500 ad gangen.",
        ),
    ],
    ids=[
        "latin-1",
        "utf-16",
        "empty",
        "blank",
        "no-email",
        "no-header",
        "header-only",
        "twice",
        "too-many",
    ],
)
def test_a_file_that_cannot_be_used_gets_a_clear_message(app, client, fx, data, message):
    response = upload(client, data)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert "Intet blev importeret." in page
    assert member_count(app, fx) == 3


def test_no_file_and_a_huge_file_are_refused_clearly(app, client, fx):
    none = client.post(URL, data={}, content_type="multipart/form-data")
    assert none.status_code == 422
    assert "Regnearksfil: vælg en fil at uploade." in text(none)
    # Encoded by hand: the test client would spool a body this size to an unclosed temp file.
    body = (
        b"--grense\r\n"
        b'Content-Disposition: form-data; name="file"; filename="stor.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
        + b"id;navn;email\n"
        + b"x" * (3 * 1024 * 1024)
        + b"\r\n--grense--\r\n"
    )
    huge = client.post(URL, data=body, content_type="multipart/form-data; boundary=grense")
    assert huge.status_code == 413
    assert "Filen er for stor" in text(huge)
    assert member_count(app, fx) == 3


def test_line_breaks_in_a_name_become_spaces(app, client, fx):
    """Excel writes Alt+Enter inside a quoted cell as a line break; a name keeps it as a space,
    so every mail to the member can still be sent."""
    csv = (
        "id;navn;email;organisation\r\n"
        'berit;"Berit\r\nÆrø";berit@example.dk;"Vejle\nBibliotekerne\t"\r\n'
    ).encode("utf-8-sig")
    response = upload(client, csv)
    assert response.status_code == 201, text(response)
    with app.app_context():
        berit = db.session.scalar(select(Member).where(Member.key == "berit"))
        assert (berit.name, berit.organisation) == ("Berit Ærø", "Vejle Bibliotekerne")


def test_control_characters_are_refused_by_row_and_column(app, client, fx):
    csv = (
        b"id;navn;email;organisation;kan ikke\n"
        b"anne;Anne\x00;anne@example.dk;;\n"  # row 2: NUL in the name
        b'"bo\nbo";Bo;bo@example.dk;;\n'  # row 3: a line break in the id
        b'cai;Cai;"cai@example.dk\r\n";;\n'  # row 4: fine, an ending line break is trimmed
        b'dan;Dan;"dan@exa\nmple.dk";Odense\x1b;notes\x00\n'  # row 5: e-mail, organisation, roles
    )
    response = upload(client, csv)
    assert response.status_code == 422
    page = text(response)
    cells = re.findall(r"<tr><th scope=\"row\">(\d+)</th><td>([^<]*)</td>", page)
    assert sorted(cells) == [
        ("2", "navn"),
        ("3", "id"),
        ("5", "e-mail"),
        ("5", "kan ikke"),
        ("5", "organisation"),
    ]
    assert "Række 2: navn indeholder usynlige kontroltegn (fx linjeskift); fjern dem." in page
    assert "Række 3: id indeholder usynlige kontroltegn" in page
    assert "Række 5: e-mail indeholder usynlige kontroltegn" in page
    assert member_count(app, fx) == 3


@pytest.mark.parametrize("email", ["a,b@example.dk", "a b@example.dk", "a@b@example.dk", "a@x"])
def test_an_email_is_checked_as_the_member_form_checks_it(app, client, fx, email):
    csv = f'id;navn;email\nbo;Bo;"{email}"\n'.encode()
    response = upload(client, csv)
    assert response.status_code == 422
    assert f"Række 2: e-mail '{email}' er ikke en gyldig e-mailadresse." in text(response)
    form = client.post("/tovholder/medlemmer/ny", data={"name": "Bo", "email": email})
    assert form.status_code == 422
    assert "E-mail: det er ikke en gyldig e-mailadresse." in text(form)
    assert member_count(app, fx) == 3
