"""Mails to coordinator accounts: an invitation to coordinate a network with a link to choose a
password, a notice to an existing account that it coordinates one more network, and a link to
choose a new password when the old one is forgotten.

Written like the mails to members (notifications.render_mail), but in Danish, then English, since an
account has no language setting (a member's mails are in the member's language), and not kept in
a network's message log: their links open an account, work once and for hours or days only, and
a reset belongs to no network. A mail that cannot be sent says why to the caller (and the app's
log, without the link); asking again sends a new link.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l

from .accounts import SET_PASSWORD_DAYS, Invited
from .feeds import absolute_url
from .mailer import DeliveryError, build_message
from .models import CoordinatorAccount, Network
from .notifications import Composed, Delivery, delivery_reason, render_mail


def send_invitation(invited: Invited, network: Network, inviter: CoordinatorAccount) -> str | None:
    """Mail the invited account its link to choose a password, or, when it has one, a notice
    with the login; why it could not be sent, or None."""
    context = {
        "account": invited.account,
        "network": network,
        "inviter": inviter.name or inviter.email,
        "coordinator": inviter.name or inviter.email,
        "login": absolute_url("auth.login"),
        "days": SET_PASSWORD_DAYS,
    }
    if invited.token is None:
        composed = render_mail(
            "account_added",
            _l("%(network)s: you are now a coordinator in Mødeplan", network=network.name),
            context,
            subject_after=_l("You are now a coordinator in Mødeplan"),
        )
    else:
        context["link"] = absolute_url("account.set_password", token=invited.token)
        composed = render_mail(
            "account_invitation",
            _l("%(network)s: you are invited as a coordinator in Mødeplan", network=network.name),
            context,
            subject_after=_l("You are invited as a coordinator in Mødeplan"),
        )
    return _deliver(invited.account, composed)


def send_reset(account: CoordinatorAccount, token: str) -> str | None:
    """Mail the account its link to choose a new password; why it could not be sent, or None."""
    context = {"account": account, "link": absolute_url("account.reset_password", token=token)}
    composed = render_mail("password_reset", _l("A new password for Mødeplan"), context)
    return _deliver(account, composed)


def _deliver(account: CoordinatorAccount, composed: Composed) -> str | None:
    with Delivery() as delivery:
        problem = delivery.problem
        if delivery.settings is not None and delivery.postman is not None:
            try:
                message = build_message(
                    sender=delivery.settings.sender,
                    to=(account.name, account.email),
                    subject=composed.subject,
                    text=composed.text,
                    html=composed.html,
                )
                delivery.postman.deliver(message)
            except DeliveryError as error:
                problem = delivery_reason(error)
            except ValueError as error:
                problem = str(error)
    if problem:
        current_app.logger.warning(
            "account mail (%s) to account %s not sent: %s", composed.kind, account.id, problem
        )
    return problem or None
