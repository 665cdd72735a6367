"""Danish first, English by choice: locale selection and date formatting for templates."""

from collections.abc import Iterable
from datetime import date, datetime, time
from functools import lru_cache

from babel.dates import format_date as babel_format_date
from babel.support import Translations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import (
    Babel,
    format_datetime,
    format_time,
    get_locale,
    get_translations,
    to_user_timezone,
)
from flask_babel import gettext as _

babel = Babel()

LANG_COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen is not None and chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=8192)
def _cached_label(day: date, pattern: str, locale: str) -> str:
    return babel_format_date(day, pattern, locale=locale)


def _day_label(day: date, pattern: str, locale: str) -> str:
    """A day as the pattern writes it, cached: the same few hundred days are named on every
    page, and Babel takes about 10 µs to format one. An instant is its day in the app's zone."""
    if isinstance(day, datetime):
        day = to_user_timezone(day).date()
    return _cached_label(day, pattern, locale)


def long_date(day: date) -> str:
    """'tirsdag den 2. marts 2027' / 'Tuesday 2 March 2027'."""
    # Translators: a CLDR date pattern; Danish wants "EEEE 'den' d. MMMM y".
    return _day_label(day, _("EEEE d MMMM y"), str(get_locale()))


def long_dates(days: Iterable[date]) -> list[str]:
    """long_date of many days, the pattern translated and the locale looked up once."""
    pattern, locale = _("EEEE d MMMM y"), str(get_locale())
    return [_day_label(day, pattern, locale) for day in days]


def short_date(day: date) -> str:
    """'tir. 2. mar.' / 'Tue 2 Mar'."""
    # Translators: a CLDR date pattern; Danish wants "EEE d. MMM".
    return _day_label(day, _("EEE d MMM"), str(get_locale()))


def short_dates(days: Iterable[date]) -> list[str]:
    """short_date of many days, the pattern translated and the locale looked up once."""
    pattern, locale = _("EEE d MMM"), str(get_locale())
    return [_day_label(day, pattern, locale) for day in days]


def moment(at: datetime) -> str:
    """An instant in the app's time zone: '03.12.2026 04.05' / '12/3/26, 4:05 AM'."""
    return format_datetime(at, "short")


def clock(value: time | datetime) -> str:
    """'10.00' / '10:00': a wall-clock time, never moved between time zones (a datetime is read
    in its own zone)."""
    if isinstance(value, datetime):
        value = value.time()
    # Translators: a CLDR time pattern; Danish wants "HH.mm".
    return format_time(value, _("HH:mm"), rebase=False)


def meeting_hours(start: time | datetime, end: time | datetime) -> str:
    """A meeting's hours, the one way they are written everywhere: 'kl. 10.00–15.00' /
    '10:00–15:00'."""
    # Translators: a meeting's hours; Danish wants "kl. %(start)s–%(end)s".
    return _("%(start)s–%(end)s", start=clock(start), end=clock(end))


def explanation(result: dict | None) -> list[str]:
    """A plan result's sentences in the reader's language: the solver writes them in every
    language (`explanations`); a result stored before that has only the language it was
    planned in (`explanation`)."""
    if not result:
        return []
    by_language = result.get("explanations")
    if isinstance(by_language, dict):
        sentences = by_language.get(str(get_locale()))
        if isinstance(sentences, list):
            return sentences
    return list(result.get("explanation") or [])


def week_label(day: date) -> str:
    return _("week %(week)d", week=day.isocalendar().week)


def _translations() -> Translations:
    """The request's translations, looked up once per request and locale: Flask-Babel finds
    them again for every string (a dozen context lookups each, some 60 strings a page). Kept
    where Flask-Babel's force_locale and refresh reset them, so a mail in another language
    within a request is translated in that language."""
    context = g.get("_flask_babel")
    if context is None:
        return get_translations()
    translations = getattr(context, "babel_translations", None)
    if translations is None:
        translations = context.babel_translations = get_translations()
    return translations


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        long_date=long_date,
        short_date=short_date,
        week=week_label,
        moment=moment,
        hours=meeting_hours,
        explanation=explanation,
    )
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.after_request
    def remember_language(response):
        chosen = request.args.get("lang")
        if chosen in app.config["LANGUAGES"]:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
        return response
