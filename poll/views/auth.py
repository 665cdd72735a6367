"""Coordinator login and logout."""

import math

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import auth
from ..forms import LoginForm

bp = Blueprint("auth", __name__, url_prefix="/tovholder")


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
            return redirect(next_path or url_for("coordinator.dashboard"))
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
