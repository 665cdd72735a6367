"""Coordinator login and logout; setting a password through a one-time link."""

import math

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import accounts, auth
from ..db import db
from ..forms import LoginForm, SetPasswordForm

bp = Blueprint("auth", __name__, url_prefix="/tovholder")
account_bp = Blueprint("account", __name__, url_prefix="/konto")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        email = auth.normalise_email(form.email.data)
        remote = request.remote_addr or "?"
        if wait := auth.login_wait_seconds(email, remote):
            minutes = math.ceil(wait / 60)
            form.email.errors.append(
                ngettext(
                    "Too many failed attempts. Try again in %(num)d minute.",
                    "Too many failed attempts. Try again in %(num)d minutes.",
                    minutes,
                )
            )
            status, headers = 429, {"Retry-After": str(wait)}
        elif account := auth.authenticate(email, form.password.data, remote):
            auth.log_in(account)
            next_path = auth.safe_next(request.args.get("next"))
            # An administrator who coordinates no network has no dashboard.
            home = "admin.index" if account.is_admin and account.network_id is None else None
            return redirect(next_path or url_for(home or "coordinator.dashboard"))
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


@account_bp.route("/adgangskode/<token>", methods=["GET", "POST"])
def set_password(token: str):
    row = accounts.usable_token(token, accounts.SET_PASSWORD)
    if row is None:
        abort(404, description=_gone())
    form = SetPasswordForm()
    if form.validate_on_submit():
        if not accounts.use_token(row):
            db.session.rollback()
            abort(404, description=_gone())
        auth.set_password(row.account, form.password.data or "")
        db.session.commit()
        flash(_("Your password is set. Log in with your e-mail and the new password."))
        return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "auth/set_password.html",
        form=form,
        account=row.account,
        min_length=accounts.PASSWORD_MIN_LENGTH,
    ), status


def _gone() -> str:
    return _("This link is unknown, has been used or has expired. Ask for a new one.")
