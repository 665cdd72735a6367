"""The member's page, reached through a personal link (no account).

GET  /m/<token>         the network's current poll (latest open year, else latest year)
GET  /m/<token>/<year>  that year's poll
GET  /m/<token>/mine-oplysninger  everything stored about the member, as a file (GDPR access)
GET  /m/<token>/<year>/andre  who else answered yes / if need be, day by day (a page; the
                        page's script asks for it as JSON: {"cells": {field: {"yes", "maybe"}}})
POST /m/<token>/sprog   the language of the member's mails (`language`: da or en); redirects
                        back to the page it came from (`year`) with a message by the form
POST /m/<token>/<year>  save answers, comment and role opt-outs; a `shortcut` button sets many
                        answers first. Form posts redirect back with "Saved" (a shortcut's to
                        the week or block it set, #uge-2027-9, #hurtigt or #svar-status, with
                        its message shown there too); a request that
                        accepts only JSON (the page's script) gets {"ok", "message",
                        "answered", "state", "progress_html", ...} or
                        {"ok": false, "errors": [{"field", "message"}]} with a 4xx.
"""

import json
from datetime import date

from babel import Locale
from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime, format_time, get_locale
from flask_babel import gettext as _

from ..answers import (
    Cell,
    Invalid,
    Sheet,
    Shortcut,
    answer_labels,
    cell_field,
    conflict_message,
    current_poll,
    encode_shown_cells,
    load_sheet,
    local_today,
    lock_sheet,
    network_polls,
    others_names,
    parse_submission,
    save,
    shortcut_message,
    shown_after,
)
from ..completeness import Progress, State, blank_by_week, progress, week_anchor
from ..db import db
from ..feeds import member_calendar_links
from ..members import MAIL_LANGUAGES, mail_language, set_mail_language
from ..models import Answer, utcnow
from ..planning import plan_by_id
from ..privacy import export
from .answer_cells import day_rows
from .scope import link_member, member_poll

bp = Blueprint("member", __name__)

SAVED_KEY = "member_saved"
CONFLICT_KEY = "member_conflict"
WHERE_KEY = "member_saved_where"  # the page's id where the saved message is shown too
STATUS_ID = "svar-status"  # the progress block
SHORTCUTS_ID = "hurtigt"  # the block of shortcuts for all days and per venue
LANGUAGE_KEY = "member_language_saved"


@bp.route("/m/<token>")
def answer(token: str):
    member = link_member(token)
    polls = network_polls(member)
    poll = current_poll(polls)
    if poll is None:
        return render_template(
            "member/no_poll.html",
            token=token,
            member=member,
            network=member.network,
            **_language_form(member),
        )
    return _render(token, load_sheet(member, poll, polls))


@bp.post("/m/<token>/sprog")
def mail_language_choice(token: str):
    """The member chooses the language of their mails; back to the page the form was on."""
    member = link_member(token)
    if not set_mail_language(member, request.form.get("language", "")):
        abort(400, _("Language for e-mails: choose Dansk or English."))
    db.session.commit()
    session[LANGUAGE_KEY] = _(
        "Saved: your e-mails will be in %(language)s.",
        language=Locale.parse(member.language).get_display_name(get_locale()),
    )
    # Back to the year the form was on; anything else (no year, a wrong one) to the start.
    year = next(
        (p.year for p in network_polls(member) if str(p.year) == request.form.get("year")), None
    )
    if year is not None:
        target = url_for(".answer_year", token=token, year=year)
    else:
        target = url_for(".answer", token=token)
    return redirect(f"{target}#mail-language", code=303)


def _language_form(member) -> dict:
    """What member/_mail_language.html needs: the choices, the member's, the message after
    a change."""
    return {
        "mail_languages": MAIL_LANGUAGES,
        "mail_language": mail_language(member),
        "language_saved": session.pop(LANGUAGE_KEY, None),
    }


@bp.get("/m/<token>/mine-oplysninger")
def my_data(token: str):
    member = link_member(token)
    now = utcnow()
    body = json.dumps(export.member_data(member, now), ensure_ascii=False, indent=2)
    response = Response(body + "\n", mimetype="application/json")
    name = export.filename(member, local_today(member.network))
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/m/<token>/<int:year>", methods=["GET", "POST"])
def answer_year(token: str, year: int):
    member = link_member(token)
    if request.method == "POST":
        return _save(token, member, year)
    polls = network_polls(member)
    poll = member_poll(member, year, polls)
    return _render(
        token,
        load_sheet(member, poll, polls),
        saved=session.pop(SAVED_KEY, None),
        conflict=session.pop(CONFLICT_KEY, None),
        where=session.pop(WHERE_KEY, None),
    )


@bp.get("/m/<token>/<int:year>/andre")
def others(token: str, year: int):
    """The names behind the page's counts, asked for on demand: a page of its own (without
    JavaScript), or JSON the page's script fills into the cells."""
    member = link_member(token)
    polls = network_polls(member)
    poll = member_poll(member, year, polls)
    sheet = load_sheet(member, poll, polls, with_others=False)
    names = others_names(sheet)
    if names is None:
        abort(404, _("In this poll the coordinator has hidden the other members' answers."))
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    ):
        cells = {
            cell_field(*cell): {"yes": list(t.yes), "maybe": list(t.maybe)}
            for cell, t in names.items()
        }
        return jsonify(cells=cells)
    return render_template(
        "member/others.html",
        token=token,
        sheet=sheet,
        member=member,
        network=sheet.network,
        poll=poll,
        names=names,
        labels=answer_labels(),
    )


def _save(token: str, member, year: int):
    """A save reads only what it needs: the member (with the network), this year's poll, then
    the member's response (made sure of and locked first), the days, the venues and the roles
    (lock_sheet); the reply is built from those, so nothing is read again after the commit."""
    poll = member_poll(member, year)
    wants_json = request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )
    with_roles = "cannot_roles_shown" in request.form or "cannot_roles" in request.form
    try:
        sheet = lock_sheet(member, poll, with_roles=with_roles)
        submission = parse_submission(sheet, request.form)
    except Invalid as invalid:
        db.session.rollback()
        if wants_json:
            errors = [{"field": e.field, "message": e.message} for e in invalid.errors]
            return jsonify(ok=False, errors=errors), invalid.status
        sheet = load_sheet(member, poll)
        return _render(token, sheet, errors=invalid.errors, form=request.form), invalid.status
    except Exception:
        db.session.rollback()
        raise
    # What was read stays readable after the commit: the reply is built from it.
    session_ = db.session()
    session_.expire_on_commit = False
    try:
        result = save(sheet, submission)
    finally:
        session_.expire_on_commit = True
    message = _("Saved at %(time)s.", time=format_time(result.saved_at, "short"))
    if submission.shortcut is not None:
        told = shortcut_message(sheet, submission.shortcut, submission.shortcut_count)
        message = f"{told} {message}"
    conflict = conflict_message(sheet, result) if result.has_conflicts else None
    if wants_json:
        done = progress([d.day for d in sheet.days], [v.key for v in sheet.venues], result.answers)
        answered = _answered_state(done, _saved_when(result.saved_at))
        stored = {
            cell_field(*cell): result.stored[cell].value if cell in result.stored else ""
            for cell in result.conflicts
        }
        comment = result.comment if result.comment_conflict else submission.comment
        roles = result.cannot_roles if result.roles_conflict else submission.cannot_roles
        return jsonify(
            ok=True,
            message=message,
            answered=answered,
            state=done.state.value,
            progress_html=render_template(
                "member/_progress.html", **_progress_context(sheet, done, token=token)
            ),
            warnings=[conflict] if conflict else [],
            stored=stored,
            comment=result.comment if result.comment_conflict else None,
            cannot_roles=result.cannot_roles if result.roles_conflict else None,
            was_cells=encode_shown_cells(shown_after(submission, result)),
            was_comment=comment if comment is not None else result.comment,
            was_roles=",".join(roles if roles is not None else result.cannot_roles),
        )
    session[SAVED_KEY] = message
    if conflict:
        session[CONFLICT_KEY] = conflict
    anchor = _anchor(submission.shortcut)
    if anchor is not None:
        session[WHERE_KEY] = anchor
    return redirect(url_for(".answer_year", token=token, year=year, _anchor=anchor), code=303)


def _anchor(shortcut: Shortcut | None) -> str | None:
    """Where a shortcut's post returns to: the week it set, the shortcuts or the progress; a
    plain save returns to the top (its message is in the save bar)."""
    if shortcut is None:
        return None
    if shortcut.kind == "week":
        return week_anchor(date.fromisoformat(shortcut.target))
    if shortcut.kind == "blank":
        return STATUS_ID
    return SHORTCUTS_ID


def _progress(sheet: Sheet) -> Progress:
    answers = sheet.response.answers if sheet.response is not None else None
    return progress([d.day for d in sheet.days], [v.key for v in sheet.venues], answers)


def _answered_state(done: Progress, when: str | None) -> str:
    if when is None or done.state == State.NONE:
        return _("You have not answered yet.")
    if done.state == State.PARTLY:
        return _("You have answered partly; last saved %(when)s.", when=when)
    return _("You have answered; last saved %(when)s.", when=when)


def _progress_context(sheet: Sheet, done: Progress, **extra) -> dict:
    """What member/_progress.html needs (also rendered alone for the page's script)."""
    names = {v.key: v.name for v in sheet.venues}
    blank_weeks = [
        (
            monday,
            week_anchor(monday),
            [(b.day, ", ".join(names[k] for k in b.venues) if b.partly else None) for b in days],
        )
        for monday, days in blank_by_week(done)
    ]
    return {
        "done": done,
        "blank_weeks": blank_weeks,
        "editable": sheet.editable,
        "labels": answer_labels(),
        "status_id": STATUS_ID,
        **extra,
    }


def _render(token, sheet, *, saved=None, conflict=None, where=None, errors=(), form=None):
    """The page; after a rejected post it shows what was posted (nothing of it was saved), and
    keeps what the page first showed, from which the next save measures the member's changes."""
    shown = {cell: value.value for cell, value in sheet.answers.items()}
    comment = sheet.response.comment if sheet.response else ""
    cannot_roles = set(sheet.response.cannot_roles) if sheet.response else set()
    was = {
        "cells": encode_shown_cells(sheet.answers),
        "comment": comment,
        "roles": ",".join(sorted(cannot_roles)),
    }
    if form is not None and sheet.editable:
        for day in sheet.days:
            for venue in sheet.venues:
                posted = form.get(cell_field(day.id, venue.id))
                if posted in {a.value for a in Answer}:
                    shown[(day.id, venue.id)] = posted
        comment = form.get("comment", comment)
        if "cannot_roles_shown" in form:
            cannot_roles = set(form.getlist("cannot_roles"))
        for key in was:
            was[key] = form.get(f"was_{key}", was[key])
    last_saved = _saved_when(sheet.response.updated_at) if sheet.response is not None else None
    done = _progress(sheet)
    # A week opens when it has a blank cell, or when a shortcut just set it (its message is there).
    blank_weeks = {
        week.key
        for group in sheet.groups
        for week in group.weeks
        if any((day.id, venue.id) not in shown for day in week.days for venue in sheet.venues)
    }
    plan = plan_by_id(sheet.published_plan_id)
    calendar_links = member_calendar_links(sheet.member, sheet.poll, plan)
    labels = answer_labels()
    error_fields = {e.field for e in errors}
    return render_template(
        "member/answer.html",
        token=token,
        sheet=sheet,
        member=sheet.member,
        network=sheet.network,
        poll=sheet.poll,
        shown=shown,
        comment=comment,
        cannot_roles=cannot_roles,
        errors=list(errors),
        error_fields=error_fields,
        saved=saved,
        conflict=conflict,
        was=was,
        last_saved=last_saved,
        answered_state=_answered_state(done, last_saved),
        weeks_with_blanks=blank_weeks,
        where=where,
        shortcuts_id=SHORTCUTS_ID,
        **_progress_context(sheet, done),
        **_grid_context(sheet, labels, shown, error_fields),
        plan_views=calendar_links["views"],
        calendar_links=calendar_links,
        **_language_form(sheet.member),
    )


def _grid_context(
    sheet: Sheet, labels: dict[Answer, str], shown: dict[Cell, str], error_fields: set[str]
) -> dict:
    """What the answer grid repeats for every cell or week, translated once per page: the
    row of each day (its cells and the others' counts) and the week buttons' phrases."""
    choices = [(value.value, label) for value, label in labels.items()]
    no_answer = _("No answer")
    others = None
    no_others = ""
    if sheet.others is not None:
        line = _("Others: %(yes)d yes · %(maybe)d if need be")
        no_others = line % {"yes": 0, "maybe": 0}
        others = {
            day_id: line % {"yes": yes, "maybe": maybe}
            for day_id, (yes, maybe) in sheet.others.items()
        }
    week = _("week %(week)d")
    return {
        "week_names": {
            w.key: week % {"week": w.monday.isocalendar().week}
            for group in sheet.groups
            for w in group.weeks
        },
        "choices": choices,
        "rows": day_rows(
            sheet.days,
            sheet.venues,
            shown,
            editable=sheet.editable,
            choices=choices,
            labels={value.value: label for value, label in labels.items()},
            no_answer=no_answer,
            error_fields=error_fields,
            day_labels=sheet.day_labels,
            tallies=others,
            no_tally=no_others,
        ),
        "others": others,
        "texts": {
            "all_of_week": _("All of %(week)s"),
            "set_week": _("Set all of %(week)s to %(answer)s"),
            "whole_week": _("Whole week:"),
            "blank_week": _("some answers missing"),
            "full_week": _("every day answered"),
            "day": _("Day"),
            "others": _("Others"),
        },
    }


def _saved_when(moment) -> str:
    # Translators: a CLDR date-time pattern; Danish wants "d. MMMM y 'kl.' HH.mm".
    return format_datetime(moment, _("d MMMM y 'at' HH:mm"))
