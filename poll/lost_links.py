"""Lost your link? A member asks for their personal link by e-mail, from the start page.

The answer never says whether the e-mail belongs to a member, and takes the same path either
way: the request only checks the limits and records the attempt; who the e-mail belongs to is
looked up, and the mails sent, after the response has gone out (`send_links`, run by the view
from the response's close). So the answer time does not depend on whether a mail goes out.

Limits, counted over the accepted requests of every process (the lost_link_requests table):
`LOST_LINK_ADDRESS_MAX` per client address within `LOST_LINK_ADDRESS_WINDOW_SECONDS`, and
`LOST_LINK_EMAIL_MAX` per e-mail within `LOST_LINK_EMAIL_WINDOW_SECONDS`. A refused request
does not count, so a limit clears by itself when its oldest request leaves the window. Both
counts are the same for members and strangers, so being refused reveals nothing either.
The e-mail is stored as an HMAC under the secret key, not as text.

Each active member with that e-mail (in any network that is not archived) gets one mail with
their link, in the member's language and answering to the network's coordinator, logged in the
network's message log like every other mail, the link replaced by a marker in the stored copy
(poll.notifications).
"""

import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from .db import db
from .feeds import absolute_url
from .members import mail_language, personal_token
from .models import LostLinkRequest, Member, Network, utcnow
from .notifications import Delivery, render_mail, send
from .rate_limits import seconds_until_free

KIND = "lost-link"


def email_digest(email: str) -> str:
    """The normalised e-mail as stored: an HMAC under the secret key."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"lost-link:{email}".encode(), hashlib.sha256).hexdigest()


def wait_seconds(email: str, remote_addr: str) -> int:
    """How long before this address may ask for this e-mail's link again; 0 = go ahead."""
    config = current_app.config
    now = utcnow()
    waits = [
        seconds_until_free(
            LostLinkRequest.at,
            LostLinkRequest.remote_addr == remote_addr,
            config["LOST_LINK_ADDRESS_MAX"],
            timedelta(seconds=config["LOST_LINK_ADDRESS_WINDOW_SECONDS"]),
            now,
        ),
        seconds_until_free(
            LostLinkRequest.at,
            LostLinkRequest.email_digest == email_digest(email),
            config["LOST_LINK_EMAIL_MAX"],
            timedelta(seconds=config["LOST_LINK_EMAIL_WINDOW_SECONDS"]),
            now,
        ),
    ]
    return max(waits)


def record(email: str, remote_addr: str) -> None:
    """Count this request (and forget the ones no window looks at any more); commits."""
    config = current_app.config
    longest = max(
        config["LOST_LINK_ADDRESS_WINDOW_SECONDS"], config["LOST_LINK_EMAIL_WINDOW_SECONDS"]
    )
    db.session.execute(
        delete(LostLinkRequest).where(LostLinkRequest.at < utcnow() - timedelta(seconds=longest))
    )
    db.session.add(LostLinkRequest(email_digest=email_digest(email), remote_addr=remote_addr))
    db.session.commit()


def send_links(email: str) -> int:
    """Mail their link to every active member with this (normalised) e-mail; how many mails
    were handed to the mailer (each is in its network's message log, sent or failed)."""
    members = db.session.scalars(
        select(Member)
        .join(Network)
        .where(
            func.lower(Member.email) == email,
            Member.active.is_(True),
            Network.archived_at.is_(None),
        )
        .order_by(Member.id)
    ).all()
    sent = 0
    with Delivery() as delivery:
        for member in members:
            token = personal_token(member)
            if token is None:
                # A link made before links could be derived again: only the coordinator can
                # replace it (replacing it here would let anyone break a member's link).
                current_app.logger.warning(
                    "lost link: member %s has no derivable link to mail", member.id
                )
                continue
            link = absolute_url("member.answer", token=token)
            context = {**_common_for(member), "link": link}
            composed = render_mail(
                "lost_link",
                _l("%(network)s: your link to Mødeplan", network=member.network.name),
                context,
                languages=(mail_language(member),),
            )
            send(member.network, member, KIND, composed, delivery)
            sent += 1
    return sent


def _common_for(member: Member) -> dict:
    """What the mail layout and signature need (notifications.member_poll_context wants a poll)."""
    network = member.network
    coordinator = network.coordinator
    return {
        "member": member,
        "network": network,
        "coordinator": coordinator.name if coordinator else network.name,
    }
