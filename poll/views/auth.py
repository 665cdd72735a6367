"""Coordinator login and logout; the account's own pages: choosing the network to work on, its
password (changed, set through a one-time link, or reset after "forgot your password?").

GET/POST /tovholder/login                 log in
POST     /tovholder/logout                log out (every session of the account)
GET/POST /konto/                          "my account": change the password
GET/POST /konto/netvaerk                  choose the network (an account with several)
GET/POST /konto/adgangskode/<token>       set a password through a one-time link (7 days)
GET/POST /konto/glemt-adgangskode         forgot your password? a reset link by mail: the same
                                          answer whether the e-mail has an account or not; past
                                          a limit a 429 (poll/password_reset.py)
GET/POST /konto/nulstil/<token>           choose a new password through the reset link (1 hour)
"""

import math
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
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import accounts, audit, auth, password_reset
from ..db import db
from ..forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from ..job_rows import real_app

bp = Blueprint("auth", __name__, url_prefix="/tovholder")
account_bp = Blueprint("account", __name__, url_prefix="/konto")


def _too_many_failures(wait: int) -> str:
    minutes = math.ceil(wait / 60)
    return ngettext(
        "Too many failed attempts. Try again in %(num)d minute.",
        "Too many failed attempts. Try again in %(num)d minutes.",
        minutes,
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        email = auth.normalise_email(form.email.data)
        remote = request.remote_addr or "?"
        if wait := auth.login_wait_seconds(email, remote):
            form.email.errors.append(_too_many_failures(wait))
            status, headers = 429, {"Retry-After": str(wait)}
        elif account := auth.authenticate(email, form.password.data, remote):
            auth.log_in(account)
            next_path = auth.safe_next(request.args.get("next"))
            # An administrator who coordinates no network has no dashboard.
            home = auth.admin_page() if account.is_admin and not account.networks else None
            return redirect(next_path or home or url_for("coordinator.dashboard"))
        else:
            form.password.errors.append(_("Wrong e-mail or password."))
            status = 401
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status, headers


@bp.post("/logout")
def logout():
    auth.log_out()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


# -- the account's own pages -----------------------------------------------------------------


@account_bp.route("/", methods=["GET", "POST"])
@auth.account_required
def settings():
    account = g.account
    form = ChangePasswordForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        email = auth.normalise_email(account.email)
        remote = request.remote_addr or "?"
        # The current password is checked as a login is: a stolen session cannot guess it.
        if wait := auth.login_wait_seconds(email, remote):
            form.current.errors.append(_too_many_failures(wait))
            status, headers = 429, {"Retry-After": str(wait)}
        elif auth.authenticate(email, form.current.data, remote) is None:
            form.current.errors.append(_("Current password: this is not your password."))
            status = 400
        else:
            auth.set_password(account, form.password.data or "")
            audit.record_for_account(audit.Action.CHANGE_PASSWORD, account)
            db.session.commit()
            auth.keep_this_session(account)
            flash(_("Your password is changed, and you are logged out everywhere else."))
            return redirect(url_for("account.settings"), 303)
    elif form.is_submitted():
        status = 400
    return (
        render_template(
            "auth/account.html",
            form=form,
            account=account,
            min_length=accounts.PASSWORD_MIN_LENGTH,
        ),
        status,
        headers,
    )


@account_bp.route("/netvaerk", methods=["GET", "POST"])
@auth.account_required
def networks():
    account = g.account
    if not account.networks:
        if account.is_admin:
            return redirect(auth.admin_page())
        abort(403, description=_("This account coordinates no network."))
    next_path = auth.safe_next(request.values.get("next"))
    if request.method == "POST":
        chosen = request.form.get("network", "")
        ids = {network.id for network in account.networks}
        if not chosen.isdigit() or int(chosen) not in ids:
            abort(404, description=_("Network: you do not coordinate this network."))
        auth.choose_network(int(chosen))
        return redirect(next_path or url_for("coordinator.dashboard"), 303)
    return render_template(
        "auth/networks.html", networks=account.networks, current=g.network_id, next=next_path
    )


# -- passwords through a one-time link -------------------------------------------------------


@account_bp.route("/adgangskode/<token>", methods=["GET", "POST"])
def set_password(token: str):
    return _password_page(
        token,
        accounts.SET_PASSWORD,
        audit.Action.SET_PASSWORD,
        title=_("Set your password"),
        done=_("Your password is set. Log in with your e-mail and the new password."),
    )


@account_bp.route("/nulstil/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _password_page(
        token,
        accounts.RESET_PASSWORD,
        audit.Action.RESET_PASSWORD,
        title=_("Choose a new password"),
        done=_(
            "Your new password is saved, and you are logged out everywhere. Log in with your "
            "e-mail and the new password."
        ),
    )


def _password_page(token: str, purpose: str, action: audit.Action, *, title: str, done: str):
    """The page behind a one-time link: the new password twice; saving it uses the link up and
    ends every session of the account."""
    row = accounts.usable_token(token, purpose)
    if row is None:
        abort(404, description=_gone())
    form = SetPasswordForm()
    if form.validate_on_submit():
        if not accounts.use_token(row):
            db.session.rollback()
            abort(404, description=_gone())
        auth.set_password(row.account, form.password.data or "")
        audit.record_for_account(action, row.account, actor=row.account)
        db.session.commit()
        flash(done)
        return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "auth/set_password.html",
        form=form,
        title=title,
        account=row.account,
        min_length=accounts.PASSWORD_MIN_LENGTH,
    ), status


def _gone() -> str:
    return _("This link is unknown, has been used or has expired. Ask for a new one.")


@account_bp.route("/glemt-adgangskode", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        email = auth.normalise_email(form.email.data)
        remote = request.remote_addr or "?"
        if wait := password_reset.wait_seconds(email, remote):
            form.email.errors.append(
                _(
                    "E-mail: too many links asked for. Try again in %(minutes)d min.",
                    minutes=math.ceil(wait / 60),
                )
            )
            status, headers = 429, {"Retry-After": str(wait)}
        else:
            password_reset.record(email, remote)
            page = render_template(
                "auth/forgot_password.html", form=ForgotPasswordForm(formdata=None), asked=True
            )
            response = make_response(page)
            response.call_on_close(partial(_send_after_response, real_app(), email))
            return response
    elif form.is_submitted():
        status = 400
    return render_template("auth/forgot_password.html", form=form, asked=False), status, headers


def _send_after_response(app: Flask, email: str) -> None:
    """Runs when the server has sent the answer, outside its request: nothing may escape."""
    with app.app_context():
        try:
            password_reset.send_link(email)
        except Exception:
            app.logger.exception("password reset: the mail could not be sent")
