"""The site administrator's pages (an account with is_admin): the networks, a new network,
archive and reopen, delete.

GET       /admin/                            the networks and the site's latest log events
GET|POST  /admin/nyt-netvaerk                a new network (as `flask create-network`); the
                                             coordinator's one-time link is shown once and
                                             mailed after the response
POST      /admin/netvaerk/<id>/arkiver       archive
POST      /admin/netvaerk/<id>/genaabn       reopen
GET|POST  /admin/netvaerk/<id>/slet          what deleting removes; the short name typed in
                                             deletes it

Not logged in: the login, back here after. Logged in without is_admin: 403.
"""

from functools import partial

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import accounts, audit, network_lifecycle
from ..db import db
from ..forms import DeleteNetworkForm, NewNetworkForm
from ..job_rows import real_app
from ..models import DEFAULT_MEETING_END, DEFAULT_MEETING_START, Network

bp = Blueprint("admin", __name__, url_prefix="/admin")

INVALID = 422


@bp.before_request
def require_admin():
    account = g.get("account")
    if account is None:
        return redirect(url_for("auth.login", next=request.full_path))
    if not account.is_admin:
        abort(403, _("Only a site administrator may open these pages."))
    return None


def _network(network_id: int) -> Network:
    network = db.session.get(Network, network_id)
    if network is None:
        abort(404, _("This network does not exist (it may have been deleted)."))
    return network


def _errors(form) -> list[str]:
    return [str(e) for f in form if f.name != "csrf_token" for e in f.errors]


@bp.get("/")
def index():
    return render_template(
        "admin/index.html",
        rows=network_lifecycle.network_rows(),
        events=audit.site_events(),
        events_limit=audit.SITE_EVENTS,
        label=audit.label,
        # Translators: a CLDR date-time pattern; Danish wants "d. MMMM y 'kl.' HH.mm".
        when=lambda moment: format_datetime(moment, _("d MMMM y 'at' HH:mm")),
    )


@bp.route("/nyt-netvaerk", methods=["GET", "POST"])
def new_network():
    form = NewNetworkForm()
    status = INVALID if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            new = accounts.create_network(
                form.slug.data, form.name.data, form.email.data, form.coordinator_name.data or None
            )
        except accounts.AccountError as error:
            db.session.rollback()
            field = form.email if error.field == "email" else form.slug
            message = _("%(field)s: %(error)s", field=field.label.text, error=error)
            field.errors = [*field.errors, message]
            status = 409
        except IntegrityError:  # the same short name, created at the same moment
            db.session.rollback()
            form.slug.errors = [
                *form.slug.errors,
                _(
                    "Short name: a network with this short name was created just now. Choose"
                    " another."
                ),
            ]
            status = 409
        else:
            return _created(new)
    return render_template(
        "admin/new_network.html",
        form=form,
        errors=_errors(form),
        default_hours=(DEFAULT_MEETING_START, DEFAULT_MEETING_END),
    ), status


def _created(new: accounts.NewAccount):
    """The page with the one-time link (shown this once, never stored); the same link is
    mailed to the coordinator once the page has gone out."""
    network = new.network
    assert network is not None
    if new.token is None:
        flash(
            _(
                "The network %(name)s is created. %(email)s has an account already and logs in"
                " as before.",
                name=network.name,
                email=new.account.email,
            )
        )
        return redirect(url_for(".index"), 303)
    link = network_lifecycle.set_password_link(new.token)
    page = render_template(
        "admin/created.html",
        network=network,
        account=new.account,
        link=link,
        days=accounts.SET_PASSWORD_DAYS,
    )
    response = make_response(page, 201)
    response.call_on_close(
        partial(_mail_after_response, real_app(), new.account.id, network.id, link)
    )
    return response


def _mail_after_response(app: Flask, account_id: int, network_id: int, link: str) -> None:
    """Runs when the server has sent the page, outside its request: nothing may escape."""
    with app.app_context():
        try:
            network_lifecycle.mail_set_password_link(account_id, network_id, link)
        except Exception:
            app.logger.exception("new network %s: the set-password mail was not sent", network_id)


@bp.post("/netvaerk/<int:network_id>/arkiver")
def archive(network_id: int):
    network = _network(network_id)
    network_lifecycle.archive(network)
    db.session.commit()
    flash(
        _(
            "%(name)s is archived. Its members' links and calendars no longer open, and no mail"
            " is sent for it.",
            name=network.name,
        )
    )
    return redirect(url_for(".index"), 303)


@bp.post("/netvaerk/<int:network_id>/genaabn")
def unarchive(network_id: int):
    network = _network(network_id)
    network_lifecycle.unarchive(network)
    db.session.commit()
    flash(_("%(name)s is open again. Its members' links and calendars work.", name=network.name))
    return redirect(url_for(".index"), 303)


@bp.route("/netvaerk/<int:network_id>/slet", methods=["GET", "POST"])
def delete(network_id: int):
    network = _network(network_id)
    form = DeleteNetworkForm()
    status = 200
    if form.validate_on_submit() and form.slug.data == network.slug:
        name = network.name
        try:
            network_lifecycle.delete_network(network)
        except network_lifecycle.LifecycleError as error:
            db.session.rollback()
            form.slug.errors = [str(error)]
            status = 409
        else:
            db.session.commit()
            flash(_("%(name)s is deleted, with everything in it.", name=name))
            return redirect(url_for(".index"), 303)
    elif form.is_submitted():
        form.slug.errors = form.slug.errors or [
            _(
                "Short name: type %(slug)s exactly to delete the network. Nothing was deleted.",
                slug=network.slug,
            )
        ]
        status = INVALID
    return render_template(
        "admin/delete.html",
        network=network,
        summary=network_lifecycle.delete_summary(network),
        form=form,
        errors=_errors(form),
    ), status
