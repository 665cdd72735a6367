from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).parents[2] / "poll" / "translations" / "da" / "LC_MESSAGES" / "messages.po"


def test_every_danish_entry_is_translated_and_not_fuzzy():
    with CATALOG.open("rb") as f:
        catalog = read_po(f, locale="da")
    # A plural entry's string is a tuple, one per plural form: every form must be filled in.
    untranslated = [
        m.id
        for m in catalog
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_danish_is_the_default_and_english_is_a_choice(client):
    page = client.get("/tovholder/login")
    assert "Log ind som tovholder" in page.get_data(as_text=True)
    english = client.get("/tovholder/login?lang=en")
    assert "Coordinator login" in english.get_data(as_text=True)
    # The choice is remembered in a cookie.
    assert "Coordinator login" in client.get("/tovholder/login").get_data(as_text=True)


def test_danish_dates_and_week_numbers(app):
    from datetime import date

    from poll.i18n import long_date, week_label

    with app.test_request_context("/"):
        assert long_date(date(2027, 3, 2)) == "tirsdag den 2. marts 2027"
        assert week_label(date(2027, 3, 1)) == "uge 9"
    with app.test_request_context("/?lang=en"):
        assert long_date(date(2027, 3, 2)) == "Tuesday 2 March 2027"
        assert week_label(date(2027, 3, 1)) == "week 9"


def test_a_template_follows_a_forced_language_within_a_request(app):
    """Templates look the translations up once per request (poll/i18n.py); a mail rendered in
    the member's language inside a Danish request must still come out in that language."""
    from flask import render_template_string
    from flask_babel import force_locale

    template = (
        "{{ _('Day') }} · {{ ngettext('%(answered)d of %(num)d day answered',"
        " '%(answered)d of %(num)d days answered', 2, answered=1) }}"
    )
    with app.test_request_context("/"):
        assert render_template_string(template) == "Dag · 1 af 2 dage besvaret"
        with force_locale("en"):
            assert render_template_string(template) == "Day · 1 of 2 days answered"
        assert render_template_string(template) == "Dag · 1 af 2 dage besvaret"
    with app.test_request_context("/?lang=en"):
        assert render_template_string(template) == "Day · 1 of 2 days answered"
