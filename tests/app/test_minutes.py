"""Minutes on the meeting page: writing, uploading (size and type checked), publishing with a
mail to every member, downloading, and the members' list of agendas and minutes
(poll/minutes.py, poll/views/minutes.py)."""

import io
import re
import zipfile
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from poll.db import db
from poll.minutes import FILE_MAX
from poll.models import Meeting, MeetingMinutes, Member, MessageLog
from tests.calendar.test_feeds_helpers import MEMBERS, make_year, publish_result
from tests.factories import log_in

# make_year's m1 (26 March 2027): planning sara, henrik, maria; referent berit; kis presents.
MINUTES = "/m/{token}/moede/2027/m1/referat"


def small_pdf() -> bytes:
    """A whole, valid one-page PDF (objects, cross-reference table and trailer)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def small_docx() -> bytes:
    """A minimal Word document: content types, the package relation and word/document.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            "schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
            '" Target="word/document.xml"/></Relationships>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Referat'
            "</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


@pytest.fixture
def year(app):
    with app.app_context():
        fx = make_year()
        publish_result(fx.poll_id)
    return fx


def url(fx, key: str) -> str:
    return MINUTES.format(token=fx.tokens[key])


def meeting_page(fx, key: str) -> str:
    return f"/m/{fx.tokens[key]}/moede/2027/m1"


def stored(app) -> MeetingMinutes | None:
    with app.app_context():
        row = db.session.scalar(select(MeetingMinutes))
        if row is not None:
            _ = row.file_data  # deferred: load it before leaving the session
            db.session.expunge(row)
        return row


BOUNDARY = "modeplan-test-boundary"


def upload(client, target: str, data: bytes, name: str, **fields):
    """A multipart POST written out here, in memory (werkzeug's test client spools a large body
    to a temporary file that it leaves open when the app refuses the body unread)."""
    body = bytearray()
    for field, value in fields.items():
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"\r\n\r\n'.encode()
        body += value.encode() + b"\r\n"
    body += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="minutes_file"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    body += data + f"\r\n--{BOUNDARY}--\r\n".encode()
    return client.post(
        target,
        data=bytes(body),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


def test_the_referent_writes_minutes_shown_escaped_and_only_to_writers_until_published(app, year):
    fx = year
    berit = app.test_client()
    text = "Vi talte om **læseklubber**.\n- Odense: 12\n- Vejle: <script>x</script>\n\nNæste gang."
    saved = berit.post(url(fx, "berit"), data={"minutes": text, "action": "save"})
    assert saved.status_code == 303
    page = berit.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Referatet er gemt." in page and "Et udkast" in page
    assert "<p>Vi talte om <strong>læseklubber</strong>.</p>" in page
    assert "<ul><li>Odense: 12</li><li>Vejle: &lt;script&gt;x&lt;/script&gt;</li></ul>" in page
    assert "<p>Næste gang.</p>" in page and "<script>x" not in page
    # A member sees nothing of the draft, and may not write.
    kis = app.test_client()
    shown = kis.get(meeting_page(fx, "kis")).get_data(as_text=True)
    assert "Referatet er ikke udgivet endnu." in shown and "læseklubber" not in shown
    assert 'name="minutes"' not in shown
    for outsider in ("kis", "henrik"):  # a member; the planning group, not the referent
        refused = app.test_client().post(url(fx, outsider), data={"minutes": "Hack"})
        assert refused.status_code == 403
        assert "Kun mødets referent og tovholderen" in refused.get_data(as_text=True)
    assert stored(app).text == text
    # The coordinator writes too; the referent of m2 (henrik) may not write m1's.
    coordinator = app.test_client()
    log_in(coordinator, fx)
    assert 'name="minutes"' in coordinator.get("/tovholder/plan/2027/moede/m1").get_data(
        as_text=True
    )
    done = coordinator.post("/tovholder/plan/2027/moede/m1/referat", data={"minutes": "Rettet"})
    assert done.status_code == 303 and stored(app).text == "Rettet"
    too_long = berit.post(url(fx, "berit"), data={"minutes": "x" * 50_001})
    assert too_long.status_code == 400
    assert "Referat: højst 50000 tegn." in too_long.get_data(as_text=True)
    assert stored(app).text == "Rettet"


def test_uploads_are_checked_by_size_and_by_their_own_bytes(app, year):
    fx = year
    berit = app.test_client()
    target = url(fx, "berit")
    pdf = small_pdf()
    accepted = upload(berit, target, pdf, "Referat marts.pdf", minutes="")
    assert accepted.status_code == 303
    row = stored(app)
    assert (row.file_type, row.file_name, row.file_size) == (
        "application/pdf",
        "Referat marts.pdf",
        len(pdf),
    )
    assert row.file_data == pdf

    # An .exe called .pdf: refused by its bytes, and the PDF stays.
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    refused = upload(berit, target, exe, "referat.pdf")
    assert refused.status_code == 415
    assert "Referatfil: kun PDF- og Word-filer (DOCX) kan bruges." in refused.get_data(as_text=True)
    # A ZIP that is no Word document.
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("hello.txt", "hej")
    assert upload(berit, target, other_zip.getvalue(), "referat.docx").status_code == 415
    assert stored(app).file_data == pdf

    # 10 MB and one byte: refused with a Danish 413 naming the field, the PDF kept.
    over = b"%PDF-1.4\n" + b"0" * (FILE_MAX + 1 - 9)
    assert len(over) == FILE_MAX + 1
    too_big = upload(berit, target, over, "stor.pdf")
    assert too_big.status_code == 413
    assert "Referatfil: højst 10 MB. Filen blev ikke gemt." in too_big.get_data(as_text=True)
    assert stored(app).file_data == pdf
    # Far past the request limit: refused before it is read, same message, nothing lost.
    berit.post(target, data={"minutes": "Gemt tekst"})
    huge = upload(berit, target, b"%PDF-" + b"0" * (12 * 2**20), "enorm.pdf", minutes="Ny")
    assert huge.status_code == 413
    assert "Referatfil: højst 10 MB." in huge.get_data(as_text=True)
    assert stored(app).text == "Gemt tekst" and stored(app).file_data == pdf

    # Exactly 10 MB is allowed; a Word file replaces it; the file can be removed.
    exact = b"%PDF-1.4\n" + b"0" * (FILE_MAX - 9)
    assert upload(berit, target, exact, "præcis.pdf").status_code == 303
    assert stored(app).file_size == FILE_MAX
    docx = small_docx()
    assert upload(berit, target, docx, "referat.docx").status_code == 303
    row = stored(app)
    assert row.file_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert row.file_data == docx
    assert berit.post(target, data={"action": "remove_file"}).status_code == 303
    assert stored(app).file_type is None and stored(app).text == "Gemt tekst"


def test_the_upload_needs_the_csrf_token(app, year, strict):
    client = strict.test_client()
    refused = upload(client, url(year, "berit"), small_pdf(), "r.pdf")
    assert refused.status_code == 400
    assert stored(app) is None
    page = client.get(meeting_page(year, "berit")).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = upload(client, url(year, "berit"), small_pdf(), "r.pdf", csrf_token=token)
    assert accepted.status_code == 303 and stored(app).file_size == len(small_pdf())
    with strict.app_context():
        db.engine.dispose()


def test_publishing_mails_every_member_in_their_language_and_the_link_and_file_work(
    app, year, smtp
):
    fx = year
    with app.app_context():
        db.session.get(Member, fx.member_ids["maria"]).language = "en"
        db.session.commit()
    berit = app.test_client()
    target = url(fx, "berit")
    upload(berit, target, small_pdf(), "marts.pdf", minutes="Vi besluttede **tre** ting.")
    published = berit.post(
        target, data={"minutes": "Vi besluttede **tre** ting.", "action": "publish"}
    )
    assert published.status_code == 303
    assert "Referatet er udgivet, og 5 medlemmer har fået besked på mail." in berit.get(
        published.headers["Location"]
    ).get_data(as_text=True)

    mails = smtp.messages()
    assert sorted(str(m["To"]).split("<")[1].rstrip(">") for m in mails) == sorted(
        f"{key}@example.dk" for key in MEMBERS
    )
    danish = smtp.to("kis@example.dk")
    assert danish["Subject"] == "Testnetværk: referatet fra Møde 1 er klar"
    english = smtp.to("maria@example.dk")
    assert english["Subject"] == "Testnetværk: the minutes of Møde 1 are ready"
    body = danish.get_body(("plain",)).get_content()
    assert "Referatet fra Møde 1 er klar." in body
    [link] = re.findall(r"https?://\S+/moede/2027/m1", body)
    assert fx.tokens["kis"] in link
    kis = app.test_client()
    page = kis.get(urlsplit(link).path).get_data(as_text=True)
    assert "Vi besluttede <strong>tre</strong> ting." in page and "Et udkast" not in page
    with app.app_context():
        kinds = db.session.scalars(select(MessageLog.kind)).all()
        assert kinds == ["minutes/2027"] * 5
    coordinator = app.test_client()
    log_in(coordinator, fx)
    log_page = coordinator.get("/tovholder/beskeder").get_data(as_text=True)
    assert log_page.count("Referat udgivet 2027") == 5

    # The file, from the link on the page.
    [file_link] = re.findall(r'href="([^"]+/referat/fil)"', page)
    download = kis.get(file_link)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/pdf"
    assert (
        download.headers["Content-Disposition"]
        == 'attachment; filename="testnetvaerk-2027-m1-referat.pdf"'
    )
    assert download.data == small_pdf()

    # Publishing again sends nothing more.
    again = berit.post(target, data={"minutes": "Rettelse", "action": "publish"})
    assert again.status_code == 303
    assert len(smtp.messages()) == 5
    assert "Rettelse" in kis.get(urlsplit(link).path).get_data(as_text=True)


def test_members_list_the_agendas_and_minutes_and_a_draft_file_stays_hidden(app, year):
    fx = year
    kis = app.test_client()
    before = kis.get(f"/m/{fx.tokens['kis']}/2027").get_data(as_text=True)
    assert "Referater og dagsordener" in before
    assert "Når et møde er holdt, står dets dagsorden og referat her." in before
    berit = app.test_client()
    upload(berit, url(fx, "berit"), small_pdf(), "marts.pdf", minutes="Kort referat")
    file_url = url(fx, "kis") + "/fil"
    assert kis.get(file_url).status_code == 404  # not published yet
    assert berit.get(url(fx, "berit") + "/fil").status_code == 200  # the writer's draft
    coordinator = app.test_client()
    log_in(coordinator, fx)
    draft = coordinator.get("/tovholder/plan/2027/moede/m1/referat/fil")
    assert draft.status_code == 200 and draft.headers["Content-Type"] == "application/pdf"
    assert app.test_client().get("/tovholder/plan/2027/moede/m1/referat/fil").status_code == 302
    berit.post(url(fx, "berit"), data={"minutes": "Kort referat", "action": "publish"})
    listed = kis.get(f"/m/{fx.tokens['kis']}/2027").get_data(as_text=True)
    start = listed.index('id="minutes-list-h"')
    section = listed[start : listed.index("</section>", start)]
    assert "Møde 1" in section and "Sparring – siden sidst" in section
    [read] = re.findall(r'href="([^"]+)">Læs referatet fra Møde 1', section)
    assert "Kort referat" in kis.get(read).get_data(as_text=True)
    assert kis.get(file_url).status_code == 200
    # Only m1 is listed: m2 has neither been held nor has minutes.
    assert "Møde 2" not in section


def test_minutes_of_one_meeting_stay_with_it(app, year):
    fx = year
    berit = app.test_client()
    berit.post(url(fx, "berit"), data={"minutes": "Kun m1"})
    with app.app_context():
        row = db.session.scalar(select(MeetingMinutes))
        meeting = db.session.get(Meeting, row.meeting_id)
        assert meeting.key == "m1"
    henrik_m2 = f"/m/{fx.tokens['henrik']}/moede/2027/m2"  # henrik is m2's referent
    assert "Kun m1" not in app.test_client().get(henrik_m2).get_data(as_text=True)


def test_a_guest_sees_published_minutes_only_and_no_proposals_or_swaps(app, year, smtp):
    from poll.guest_links import guest_token
    from poll.models import Guest

    fx = year
    coordinator = app.test_client()
    log_in(coordinator, fx)
    added = coordinator.post(
        "/tovholder/plan/2027/moede/m1/gaester",
        data={"name": "Gitte Gæst", "email": "gitte@aarhus.dk", "organisation": ""},
    )
    assert added.status_code == 303
    with app.app_context():
        token = guest_token(db.session.scalar(select(Guest)))
    # A member's proposal, and the referent's draft with a file (a guest's page with a swap
    # asked for is in test_swaps.py).
    kis = app.test_client()
    proposed = kis.post(meeting_page(fx, "kis") + "/forslag", data={"title": "Læseklubber"})
    assert proposed.status_code == 303
    berit = app.test_client()
    upload(
        berit, url(fx, "berit"), small_pdf(), "marts.pdf", minutes="Udkast: vi besluttede to ting."
    )

    guest = app.test_client()
    page = guest.get(f"/gaest/{token}").get_data(as_text=True)
    assert "Møde 1" in page and 'id="signup-form"' in page
    assert "Forslag til dagsordenen" not in page and "Læseklubber" not in page
    assert 'name="title"' not in page
    assert 'id="rollebytte"' not in page and "rollebytte" not in page
    assert "Udkast" not in page and 'name="minutes"' not in page and "/referat" not in page
    assert "Referatet er ikke udgivet endnu." in page
    assert "/tovholder/" not in page and "/m/" not in page
    assert guest.get(f"/gaest/{token}/referat/fil").status_code == 404

    published = berit.post(
        url(fx, "berit"), data={"minutes": "Vi besluttede **tre** ting.", "action": "publish"}
    )
    assert published.status_code == 303
    mails = smtp.messages()  # the members are told; the guest is not one of them
    assert sorted(str(m["To"]).split("<")[1].rstrip(">") for m in mails) == sorted(
        f"{key}@example.dk" for key in MEMBERS
    )
    assert all(m["Subject"] == "Testnetværk: referatet fra Møde 1 er klar" for m in mails)
    page = guest.get(f"/gaest/{token}").get_data(as_text=True)
    assert "Vi besluttede <strong>tre</strong> ting." in page
    assert 'name="minutes"' not in page and "Et udkast" not in page
    [file_link] = re.findall(r'href="([^"]+/referat/fil)"', page)
    assert file_link == f"/gaest/{token}/referat/fil"
    download = guest.get(file_link)
    assert download.status_code == 200 and download.data == small_pdf()
    assert download.headers["Content-Type"] == "application/pdf"
