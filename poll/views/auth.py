"""Coordinator login and logout."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import auth
from ..forms import LoginForm

bp = Blueprint("auth", __name__, url_prefix="/tovholder")


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("coordinator.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip()
        remote = request.remote_addr or "?"
        if auth.too_many_failures(email, remote):
            form.email.errors.append(_("Too many failed attempts. Wait 15 minutes and try again."))
            status = 429
        elif account := auth.authenticate(email, form.password.data, remote):
            auth.log_in(account)
            return redirect(_safe_next(request.args.get("next")))
        else:
            form.password.errors.append(_("Wrong e-mail or password."))
            status = 401
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    auth.log_out()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))
