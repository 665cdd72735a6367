"""The coordinator's pages (login required): the network and its coordinators, venues, members,
roles and polls.

Scope: every page works on the network the logged-in account works on (poll.auth
current_network) only; anything of another network is answered with 404, as if it did not
exist. Forms are validated before anything is written, and each change is one transaction.
Pages that show personal links are never cached.
"""

import re
from collections.abc import Callable
from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy.exc import IntegrityError
from wtforms import Field

from .. import (
    account_mail,
    accounts,
    answer_grid,
    audit,
    auth,
    completeness,
    member_csv,
    network_admin,
    next_year,
    overview,
    poll_admin,
)
from ..answers import local_today
from ..auth import current_network, login_required
from ..days import whole_weeks
from ..db import db
from ..forms import (
    MAX_MEETING_ROWS,
    MEETING_ROWS,
    CsvImportForm,
    DeadlineForm,
    InviteCoordinatorForm,
    ManualDayForm,
    MemberForm,
    NetworkForm,
    NewPollForm,
    PollRulesForm,
    RoleForm,
    VenueForm,
    add_error,
    percent,
)
from ..members import personal_token
from ..models import CandidateDay, CoordinatorAccount, Member, Network, Poll, Role, Venue
from ..network_admin import Refused
from ..planning import has_plan, planning_gaps
from ..poll_admin import PollRules
from ..privacy import erasure
from .heat_cells import heat_rows

bp = Blueprint("coordinator", __name__, url_prefix="/tovholder")

INVALID = 422


@bp.before_request
@login_required
def require_login():
    return None


# -- helpers ---------------------------------------------------------------------------------


def _network():
    return current_network()


def _owned(model, object_id: int, message: str):
    """The object if it belongs to this coordinator's network, else 404 with `message`."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.network_id != current_network().id:
        abort(404, message)
    return obj


def _poll(poll_id: int) -> Poll:
    return _owned(Poll, poll_id, _("This poll does not exist, or it belongs to another network."))


def _venue(venue_id: int) -> Venue:
    return _owned(
        Venue, venue_id, _("This venue does not exist, or it belongs to another network.")
    )


def _member(member_id: int) -> Member:
    member = _owned(
        Member, member_id, _("This member does not exist, or belongs to another network.")
    )
    if member.erased_at is not None:
        abort(410, _("This member's personal data is erased."))
    return member


def _role(role_id: int) -> Role:
    return _owned(Role, role_id, _("This role does not exist, or it belongs to another network."))


def _errors(form) -> list[str]:
    """Every error of a form, flat, for the summary at the top (each names its field)."""
    messages = [str(e) for e in getattr(form, "form_errors", [])]
    for f in form:
        if f.name == "csrf_token":
            continue
        if f.type == "FieldList":
            for number, entry in enumerate(f, start=1):
                for sub in entry.form:
                    for e in sub.errors:
                        text = str(e)
                        if not text.startswith(_("Meeting %(number)d", number=number)):
                            text = _("Meeting %(number)d: %(error)s", number=number, error=text)
                        messages.append(text)
        else:
            messages.extend(str(e) for e in f.errors)
    return messages


def _refused(form, refusal: Refused):
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is not None:
        field.errors = [*field.errors, refusal.message]
    else:
        form.form_errors.append(refusal.message)


def _commit() -> None:
    """Commit, or answer 409 when a concurrent change got there first (nothing is saved)."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        abort(
            409,
            _(
                "Someone else changed the same thing at the same moment. Nothing was saved; "
                "reload the page and try again."
            ),
        )


def _link(token: str) -> str:
    return url_for("member.answer", token=token, _external=True)


def _see_other(endpoint: str, **values):
    return redirect(url_for(endpoint, **values), 303)


def _save(form, change: Callable[[], str], done: str):
    """For a valid submission: `change` writes it and returns what to flash; commit and go to
    `done`. None when the form is to be shown again (a refusal is then among its errors)."""
    if not form.validate_on_submit():
        return None
    try:
        message = change()
    except Refused as refusal:
        db.session.rollback()
        _refused(form, refusal)
        return None
    _commit()
    flash(message)
    return _see_other(done)


def _form_status(form) -> int:
    return INVALID if form.is_submitted() else 200


def _delete(name: str, delete: Callable[[], None], back: str, action: audit.Action):
    try:
        delete()
        audit.record(action, _network().id, name)
    except Refused as refusal:
        db.session.rollback()
        return render_template(
            "coordinator/refused.html", message=refusal.message, back=url_for(back)
        ), 409
    _commit()
    flash(_("%(name)s is deleted.", name=name))
    return _see_other(back)


# -- dashboard and network -------------------------------------------------------------------


@bp.route("/")
def dashboard():
    network = _network()
    states = completeness.network_counts(network.id)
    return render_template(
        "coordinator/dashboard.html",
        network=network,
        polls=sorted(network.polls, key=lambda p: p.year, reverse=True),
        states=states,
        member_count=overview.active_member_count(network.id),
        today=local_today(network),
        gaps=planning_gaps(network),
    )


@bp.route("/netvaerk", methods=["GET", "POST"])
def network_settings():
    network = _network()
    form = NetworkForm(obj=network)

    def change() -> str:
        network_admin.update_network(
            network,
            name=form.name.data,
            meeting_start=form.meeting_start.data,
            meeting_end=form.meeting_end.data,
            notice_days=form.notice_days.data,
            signup_deadline_days=form.signup_deadline_days.data,
        )
        return _("The network is saved.")

    if done := _save(form, change, "coordinator.network_settings"):
        return done
    return render_template(
        "coordinator/network.html", network=network, form=form, errors=_errors(form)
    ), _form_status(form)


# -- coordinators ----------------------------------------------------------------------------


@bp.route("/netvaerk/tovholdere", methods=["GET", "POST"])
def coordinators():
    network = _network()
    form = InviteCoordinatorForm()
    status = 200
    if form.validate_on_submit():
        email = auth.normalise_email(form.email.data)
        try:
            invited = accounts.invite_coordinator(network, email, form.name.data or "")
        except accounts.AccountError as error:
            db.session.rollback()
            form.email.errors = [*form.email.errors, str(error)]
        else:
            _commit()
            _flash_invited(invited, account_mail.send_invitation(invited, network, g.account))
            return _see_other("coordinator.coordinators")
    if form.is_submitted():
        status = INVALID
    return render_template(
        "coordinator/coordinators.html",
        network=network,
        coordinators=network.coordinators,
        form=form,
        errors=_errors(form),
        days=accounts.SET_PASSWORD_DAYS,
    ), status


def _flash_invited(invited: accounts.Invited, problem: str | None) -> None:
    email = invited.account.email
    if problem and invited.token is not None:
        flash(
            _(
                "%(email)s is a coordinator now, but the mail with the link could not be sent "
                "(%(problem)s). Invite %(email)s again to send a new link.",
                email=email,
                problem=problem,
            ),
            "error",
        )
    elif problem:
        flash(
            _(
                "%(email)s is a coordinator now, but the mail about it could not be sent "
                "(%(problem)s). They log in as before.",
                email=email,
                problem=problem,
            ),
            "error",
        )
    elif invited.token is not None:
        flash(
            _(
                "%(email)s is invited: we have mailed them a link to choose a password. "
                "It works for %(days)d days.",
                email=email,
                days=accounts.SET_PASSWORD_DAYS,
            )
        )
    else:
        flash(
            _(
                "%(email)s already has an account and is a coordinator of the network now; "
                "we have mailed them about it.",
                email=email,
            )
        )


def _coordinator(account_id: int) -> CoordinatorAccount:
    account = db.session.get(CoordinatorAccount, account_id)
    if account is None or _network() not in account.networks:
        abort(404, _("This coordinator does not exist, or does not coordinate this network."))
    return account


@bp.route("/netvaerk/tovholdere/<int:account_id>/fjern", methods=["GET", "POST"])
def coordinator_remove(account_id: int):
    network = _network()
    account = _coordinator(account_id)
    yourself = account.id == g.account.id
    if request.method == "GET":
        return render_template(
            "coordinator/coordinator_remove_confirm.html",
            network=network,
            account=account,
            yourself=yourself,
        )
    try:
        accounts.remove_coordinator(network, account)
    except accounts.AccountError as error:
        db.session.rollback()
        return render_template(
            "coordinator/refused.html",
            message=str(error),
            back=url_for("coordinator.coordinators"),
        ), 409
    _commit()
    if not yourself:
        flash(_("%(email)s is no longer a coordinator of the network.", email=account.email))
        return _see_other("coordinator.coordinators")
    auth.leave_network()
    if not g.account.networks and not g.account.is_admin:
        session.clear()  # nothing left to work on here
    flash(_("You are no longer a coordinator of %(network)s.", network=network.name))
    if "account_id" in session:
        return _see_other("coordinator.dashboard")  # which asks for another network
    return _see_other("auth.login")


# -- venues ----------------------------------------------------------------------------------


@bp.route("/moedesteder", methods=["GET", "POST"])
def venues():
    network = _network()
    form = VenueForm()

    def change() -> str:
        venue = network_admin.add_venue(network, name=form.name.data, address=form.address.data)
        return _("%(name)s is added.", name=venue.name)

    if done := _save(form, change, "coordinator.venues"):
        return done
    return render_template(
        "coordinator/venues.html", network=network, form=form, errors=_errors(form)
    ), _form_status(form)


@bp.route("/moedesteder/<int:venue_id>", methods=["GET", "POST"])
def venue_edit(venue_id: int):
    venue = _venue(venue_id)
    form = VenueForm(obj=venue)

    def change() -> str:
        network_admin.update_venue(
            venue, name=form.name.data or "", address=form.address.data or ""
        )
        return _("%(name)s is saved.", name=venue.name)

    if done := _save(form, change, "coordinator.venues"):
        return done
    return render_template(
        "coordinator/venue_edit.html",
        venue=venue,
        form=form,
        errors=_errors(form),
        answers=network_admin.venue_answer_count(venue),
    ), _form_status(form)


@bp.post("/moedesteder/<int:venue_id>/slet")
def venue_delete(venue_id: int):
    venue = _venue(venue_id)
    return _delete(
        venue.name,
        lambda: network_admin.delete_venue(venue),
        "coordinator.venues",
        audit.Action.DELETE_VENUE,
    )


# -- members ---------------------------------------------------------------------------------


@bp.route("/medlemmer")
def members():
    network = _network()
    roles = {r.key: r.name for r in network.roles}
    people = sorted(
        (m for m in network.members if m.erased_at is None),
        key=lambda m: (not m.active, overview.danish_key(m.name)),
    )
    return render_template("coordinator/members.html", network=network, members=people, roles=roles)


def _show_links(title: str, links: list[tuple[Member, str]], status: int = 200):
    """The one page where new personal links are visible."""
    response = make_response(
        render_template(
            "coordinator/member_links.html",
            title=title,
            links=[(m, _link(t)) for m, t in links],
        ),
        status,
    )
    return response


@bp.route("/medlemmer/ny", methods=["GET", "POST"])
def member_new():
    network = _network()
    form = MemberForm(roles=network.roles)
    status = 200
    if form.validate_on_submit():
        try:
            member, token = network_admin.create_member(
                network,
                name=form.name.data,
                email=form.email.data,
                organisation=form.organisation.data,
                cannot=form.cannot.data or [],
                is_coordinator=form.is_coordinator.data,
                active=form.active.data,
                language=form.language.data or "da",
            )
            db.session.flush()
        except Refused as refusal:
            db.session.rollback()
            _refused(form, refusal)
        else:
            _commit()
            return _show_links(_("%(name)s is added", name=member.name), [(member, token)], 201)
    if form.is_submitted():
        status = INVALID
    return render_template(
        "coordinator/member_form.html", form=form, member=None, errors=_errors(form)
    ), status


@bp.route("/medlemmer/<int:member_id>", methods=["GET", "POST"])
def member_edit(member_id: int):
    member = _member(member_id)
    network = member.network
    form = MemberForm(obj=member, roles=network.roles)

    def change() -> str:
        network_admin.update_member(
            member,
            name=form.name.data or "",
            email=form.email.data or "",
            organisation=form.organisation.data or "",
            cannot=form.cannot.data or [],
            is_coordinator=form.is_coordinator.data,
            active=form.active.data,
            language=form.language.data or "da",
        )
        return _("%(name)s is saved.", name=member.name)

    if done := _save(form, change, "coordinator.members"):
        return done
    token = personal_token(member) if member.active else None
    return render_template(
        "coordinator/member_form.html",
        form=form,
        member=member,
        errors=_errors(form),
        link=_link(token) if token else None,
    ), _form_status(form)


@bp.post("/medlemmer/<int:member_id>/aktiv")
def member_active(member_id: int):
    member = _member(member_id)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        abort(400, _("Active: the request must say whether the member is to be active."))
    try:
        network_admin.set_active(member, wanted == "1")
    except Refused as refusal:
        db.session.rollback()
        return render_template(
            "coordinator/refused.html",
            message=refusal.message,
            back=url_for("coordinator.members"),
        ), 409
    action = audit.Action.REACTIVATE_MEMBER if member.active else audit.Action.DEACTIVATE_MEMBER
    audit.record(action, member.network_id, member=member)
    _commit()
    if member.active:
        flash(_("%(name)s is active again.", name=member.name))
    else:
        flash(_("%(name)s is deactivated: the personal link no longer works.", name=member.name))
    return _see_other("coordinator.members")


@bp.post("/medlemmer/<int:member_id>/nyt-link")
def member_new_link(member_id: int):
    member = _member(member_id)
    token = network_admin.new_link(member)
    audit.record(audit.Action.REPLACE_MEMBER_LINK, member.network_id, member=member)
    _commit()
    return _show_links(_("New personal link for %(name)s", name=member.name), [(member, token)])


@bp.route("/medlemmer/<int:member_id>/slet-personoplysninger", methods=["GET", "POST"])
def member_erase(member_id: int):
    """GET: what erasing the member removes and keeps; POST (confirmed): erase, for good."""
    member = _member(member_id)
    if request.method == "GET" or request.form.get("confirm") != str(member.id):
        status = 200 if request.method == "GET" else 400
        return render_template(
            "coordinator/member_erase.html",
            member=member,
            gone=erasure.what_goes(member),
            unconfirmed=status == 400,
        ), status
    try:
        erasure.erase(member)
    except Refused as refusal:
        db.session.rollback()
        return render_template(
            "coordinator/refused.html",
            message=refusal.message,
            back=url_for("coordinator.member_edit", member_id=member_id),
        ), 409
    _commit()
    flash(_('The member\'s personal data is erased. The plans now show "former member".'))
    return _see_other("coordinator.members")


@bp.route("/medlemmer/import", methods=["GET", "POST"])
def members_import():
    network = _network()
    form = CsvImportForm()
    report = None
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read()
        report = member_csv.read_members_csv(data, network)
        if report.ok:
            created = member_csv.import_members(network, report)
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                report.problem = _(
                    "Someone else added members at the same time. Nothing was imported; "
                    "upload the file again."
                )
                status = 409
            else:
                return _show_links(
                    _("%(count)d members are imported", count=len(created)), created, 201
                )
        else:
            status = INVALID
    elif form.is_submitted():
        status = INVALID
    return render_template(
        "coordinator/members_import.html",
        form=form,
        report=report,
        errors=_errors(form),
        roles=network.roles,
        max_rows=member_csv.MAX_ROWS,
    ), status


# -- roles -----------------------------------------------------------------------------------


@bp.route("/roller")
def roles():
    network = _network()
    return render_template(
        "coordinator/roles.html",
        network=network,
        names={r.key: r.name for r in network.roles},
    )


def _role_values(form) -> dict:
    return {
        "name": form.name.data,
        "per_meeting": form.per_meeting.data,
        "within": form.within.data or None,
        "conflicts": form.conflicts.data or [],
        "includes_coordinator": form.includes_coordinator.data,
    }


@bp.route("/roller/ny", methods=["GET", "POST"])
def role_new():
    network = _network()
    form = RoleForm(roles=network.roles)

    def change() -> str:
        role = network_admin.add_role(network, **_role_values(form))
        return _("%(name)s is added.", name=role.name)

    if done := _save(form, change, "coordinator.roles"):
        return done
    return render_template(
        "coordinator/role_form.html", form=form, role=None, errors=_errors(form)
    ), _form_status(form)


@bp.route("/roller/<int:role_id>", methods=["GET", "POST"])
def role_edit(role_id: int):
    role = _role(role_id)
    network = role.network
    form = RoleForm(obj=role, roles=network.roles, this_key=role.key)

    def change() -> str:
        network_admin.update_role(role, **_role_values(form))
        return _("%(name)s is saved.", name=role.name)

    if done := _save(form, change, "coordinator.roles"):
        return done
    return render_template(
        "coordinator/role_form.html", form=form, role=role, errors=_errors(form)
    ), _form_status(form)


@bp.post("/roller/<int:role_id>/slet")
def role_delete(role_id: int):
    role = _role(role_id)
    return _delete(
        role.name,
        lambda: network_admin.delete_role(role),
        "coordinator.roles",
        audit.Action.DELETE_ROLE,
    )


# -- polls: create and edit ------------------------------------------------------------------


def _add_row_requested(form) -> bool:
    if request.form.get("action") != "add_row":
        return False
    if len(form.meetings) < MAX_MEETING_ROWS:
        form.meetings.append_entry()
    return True


def _free_year(network, year: int) -> int:
    """`year`, or the first year after it that has no poll yet."""
    taken = {p.year for p in network.polls}
    while year in taken:
        year += 1
    return year


def _source_poll() -> Poll | None:
    """The poll named by ?fra=, whose rules fill in the new poll's form; None without it."""
    if "fra" not in request.args:
        return None
    raw = request.args["fra"]
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        abort(400, _("From the poll: '%(value)s' is not the number of a poll.", value=raw[:20]))
    return _poll(int(raw))


@bp.route("/afstemninger/ny", methods=["GET", "POST"])
def poll_new():
    network = _network()
    source = _source_poll()
    form = NewPollForm()
    shifted, target = None, None
    if source is not None:
        target = _free_year(network, source.year + 1)
        shifted = next_year.shift_rules(poll_admin.rules_of(source), source.year, target)
        if request.method == "GET":
            _fill_rules_form(form, target, shifted.rules)
            form.year.data = target
    elif request.method == "GET":
        form.year.data = _free_year(network, local_today(network).year + 1)
    status, plan, rules = 200, None, None
    if form.is_submitted() and not _add_row_requested(form):
        valid = form.validate() & _deadline_ok(form.deadline, network)
        year = form.year.data if not form.year.errors else None
        if year and any(p.year == year for p in network.polls):
            form.year.errors.append(
                _("Year: the network already has a poll for %(year)d.", year=year)
            )
            valid = False
        rules = form.rules(year) if year else None
        if valid and rules is not None:
            plan = poll_admin.preview(None, rules)
            for mp in plan.empty_meetings:
                add_error(
                    form.meetings[mp.row - 1].form.weeks,
                    _(
                        "Meeting %(number)d: no candidate days remain in this window "
                        "(holidays, blackout weeks and weekdays left out).",
                        number=mp.row,
                    ),
                )
            if not plan.empty_meetings and request.form.get("action") == "save":
                try:
                    poll = poll_admin.create_poll(network, year, rules)
                    db.session.commit()
                except IntegrityError:
                    db.session.rollback()
                    form.year.errors.append(
                        _("Year: the network already has a poll for %(year)d.", year=year)
                    )
                    status = 409
                else:
                    flash(_("The poll for %(year)d is created.", year=year))
                    return _see_other("coordinator.poll_overview", poll_id=poll.id)
        errors = _errors(form)
        if errors and status == 200:
            status = INVALID
        if errors:
            plan = None
    latest = max(network.polls, key=lambda p: p.year, default=None)
    return render_template(
        "coordinator/poll_form.html",
        form=form,
        poll=None,
        plan=plan,
        errors=_errors(form),
        can_add_row=len(form.meetings) < MAX_MEETING_ROWS,
        source=source,
        target=target,
        notes=[note.message() for note in shifted.notes] if shifted else [],
        latest=latest,
    ), status


def _deadline_ok(field: Field, network: Network, current: date | None = None) -> bool:
    """Refuse a deadline in the past (on the field), unless it is the poll's own, unchanged."""
    if field.errors:
        return True  # unreadable: the field says so already
    problem = poll_admin.past_deadline(field.data, local_today(network), current)
    if problem:
        add_error(field, problem)
    return problem is None


def _fill_rules_form(form: PollRulesForm, year: int, rules: PollRules) -> None:
    """Prefill the rules form (for a GET) with these rules for `year`."""
    form.weekdays.data = list(rules.weekdays)
    form.blackout_weeks.data = ", ".join(str(w) for w in rules.blackout_weeks)
    form.deadline.data = rules.deadline
    form.hide_answers.data = rules.hide_answers
    form.min_days_between.data = rules.min_days_between
    form.min_attendance.data = percent(rules.min_attendance)
    while len(form.meetings):
        form.meetings.pop_entry()
    for draft in rules.meetings:
        row = form.meetings.append_entry().form
        row.key.data, row.name.data = draft.key, draft.name
        weeks = whole_weeks(draft.window, year)
        if weeks:
            first, last = weeks
            row.weeks.data = str(first) if first == last else f"{first}–{last}"
        else:
            row.start.data, row.end.data = draft.window.start, draft.window.end
    for _extra in range(max(2, MEETING_ROWS - len(rules.meetings))):
        form.meetings.append_entry()


@bp.route("/afstemninger/<int:poll_id>/rediger", methods=["GET", "POST"])
def poll_edit(poll_id: int):
    poll = _poll(poll_id)
    form = PollRulesForm()
    if request.method == "GET":
        _fill_rules_form(form, poll.year, poll_admin.rules_of(poll))
    status, plan, confirm = 200, None, False
    action = request.form.get("action")
    if form.is_submitted() and not _add_row_requested(form):
        valid = form.validate() & _deadline_ok(form.deadline, poll.network, poll.deadline)
        rules = form.rules(poll.year)
        if valid and rules is not None:
            plan = poll_admin.preview(poll, rules)
            for mp in plan.empty_meetings:
                add_error(
                    form.meetings[mp.row - 1].form.weeks,
                    _(
                        "Meeting %(number)d: no candidate days remain in this window "
                        "(holidays, blackout weeks and weekdays left out).",
                        number=mp.row,
                    ),
                )
            if not plan.empty_meetings and action in ("save", "confirm"):
                confirmed = action == "confirm" and plan.confirmed_by(
                    request.form.get("confirmed_days")
                )
                if plan.answered_removals and not confirmed:
                    confirm, status = True, 409
                else:
                    poll_admin.apply_rules(poll, rules, plan)
                    _commit()
                    flash(_("The poll is saved. Answers for the remaining days are kept."))
                    return _see_other("coordinator.poll_overview", poll_id=poll.id)
        if _errors(form):
            status, plan = INVALID, None
    return render_template(
        "coordinator/poll_form.html",
        form=form,
        poll=poll,
        plan=plan,
        confirm=confirm,
        errors=_errors(form),
        can_add_row=len(form.meetings) < MAX_MEETING_ROWS,
    ), status


# -- polls: overview, days, deadline, open/closed --------------------------------------------


def _answer_counts() -> dict[str, str]:
    """ "N ja" and the like, translated once per page rather than once per cell."""
    return {
        "yes": _("%(count)d yes"),
        "maybe": _("%(count)d if need be"),
        "no": _("%(count)d no"),
    }


def _render_overview(poll: Poll, deadline_form: DeadlineForm, errors=()):
    ov = overview.poll_overview(poll)
    # The cell texts are translated once here, not once per cell: gettext is the slow part
    # of a page with a hundred cells.
    labels = {**_answer_counts(), "best": _("best")}
    return render_template(
        "coordinator/poll_overview.html",
        poll=poll,
        ov=ov,
        rows=heat_rows(ov.meetings, labels, _("added")),
        deadline_form=deadline_form,
        errors=list(errors),
        planned=has_plan(poll),
    )


@bp.route("/afstemninger/<int:poll_id>")
def poll_overview(poll_id: int):
    poll = _poll(poll_id)
    return _render_overview(poll, DeadlineForm(obj=poll))


@bp.route("/afstemninger/<int:poll_id>/svar")
def poll_answers(poll_id: int):
    """Who said what: a row per member, a column per day and venue."""
    poll = _poll(poll_id)
    # Translated once here, not once per cell (a full poll has thousands of cells). Each answer
    # is a symbol and a word; `short` is what shows in a cell, `long` what a screen reader says.
    answers = {
        "yes": {"symbol": "✓", "short": _("Yes"), "long": _("Yes")},
        "maybe": {
            "symbol": "(✓)",
            "short": pgettext("short", "If need be"),
            "long": _("If need be"),
        },
        "no": {"symbol": "✗", "short": _("No"), "long": _("No")},
        "blank": {"symbol": "–", "short": "", "long": _("Not answered")},
    }
    counts = {**_answer_counts(), "blank": _("%(count)d not answered")}
    return render_template(
        "coordinator/poll_answers.html",
        poll=poll,
        grid=answer_grid.answer_grid(poll),
        answers=answers,
        counts=counts,
    )


@bp.route("/afstemninger/<int:poll_id>/dage", methods=["GET", "POST"])
def poll_days(poll_id: int):
    poll = _poll(poll_id)
    form = ManualDayForm(meetings=poll.meetings)
    status = 200
    if form.validate_on_submit() and form.day.data is not None:
        try:
            row, notes = poll_admin.add_manual_day(poll, form.day.data, form.meeting.data or None)
        except Refused as refusal:
            db.session.rollback()
            _refused(form, refusal)
        else:
            meeting_name = row.meeting.name
            _commit()
            flash(_("The day is added to %(meeting)s.", meeting=meeting_name))
            for note in notes:
                flash(note)
            return _see_other("coordinator.poll_days", poll_id=poll.id)
    if form.is_submitted():
        status = INVALID
    return render_template(
        "coordinator/poll_days.html",
        poll=poll,
        form=form,
        counts=poll_admin.answer_counts(poll),
        errors=_errors(form),
    ), status


@bp.post("/afstemninger/<int:poll_id>/dage/<int:day_id>/fjern")
def poll_day_remove(poll_id: int, day_id: int):
    poll = _poll(poll_id)
    row = db.session.get(CandidateDay, day_id)
    if row is None or row.poll_id != poll.id:
        abort(404, _("This day is not a candidate day of the poll."))
    answers = poll_admin.answer_counts(poll).get(row.id, 0)
    if answers and request.form.get("confirm") != row.day.isoformat():
        return render_template(
            "coordinator/day_remove_confirm.html", poll=poll, row=row, answers=answers
        ), 409
    poll_admin.remove_day(poll, row)
    audit.record(audit.Action.REMOVE_DAY, poll.network_id, row.day.isoformat())
    _commit()
    flash(_("The day is removed from the poll."))
    if answers:
        flash(_("%(count)d members' answers for that day are deleted.", count=answers))
    return _see_other("coordinator.poll_days", poll_id=poll.id)


@bp.post("/afstemninger/<int:poll_id>/svarfrist")
def poll_deadline(poll_id: int):
    poll = _poll(poll_id)
    form = DeadlineForm()
    if not (form.validate() & _deadline_ok(form.deadline, poll.network, poll.deadline)):
        return _render_overview(poll, form, _errors(form)), INVALID
    poll_admin.set_deadline(poll, form.deadline.data)
    _commit()
    if poll.deadline:
        flash(_("The deadline is saved."))
    else:
        flash(_("The poll has no deadline now."))
    return _see_other("coordinator.poll_overview", poll_id=poll.id)


@bp.post("/afstemninger/<int:poll_id>/luk")
def poll_close(poll_id: int):
    poll = _poll(poll_id)
    poll_admin.set_open(poll, False)
    _commit()
    flash(_("The poll is closed: members can no longer change their answers."))
    return _see_other("coordinator.poll_overview", poll_id=poll.id)


@bp.post("/afstemninger/<int:poll_id>/genaabn")
def poll_reopen(poll_id: int):
    poll = _poll(poll_id)
    poll_admin.set_open(poll, True)
    _commit()
    flash(_("The poll is open again: members can answer and change their answers."))
    return _see_other("coordinator.poll_overview", poll_id=poll.id)
