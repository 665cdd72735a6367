"""A guest's own link to their one meeting: a token derived like the members' (poll.tokens),
under its own purpose, so a guest token never opens a member's page and the reverse."""

import hmac

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .db import db
from .models import Guest, Meeting, Poll
from .tokens import derive_token, hash_token, looks_like_token, new_salt

PURPOSE = "guest"


def new_guest_token(guest: Guest) -> str:
    guest.token_salt = new_salt()
    token = derive_token(PURPOSE, guest.token_salt)
    guest.token_hash = hash_token(token)
    return token


def guest_token(guest: Guest) -> str | None:
    """The guest's current token; None when it cannot be derived (another SECRET_KEY)."""
    token = derive_token(PURPOSE, guest.token_salt)
    return token if hmac.compare_digest(hash_token(token), guest.token_hash) else None


def guest_by_token(token: str) -> Guest | None:
    if not looks_like_token(token):
        return None
    digest = hash_token(token)
    guest = db.session.scalar(
        select(Guest)
        .options(joinedload(Guest.meeting).joinedload(Meeting.poll).joinedload(Poll.network))
        .where(Guest.token_hash == digest)
    )
    if guest is None or not hmac.compare_digest(guest.token_hash, digest):
        return None
    return guest
