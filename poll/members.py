"""Members of a network and their personal links."""

import re

from sqlalchemy import select

from .db import db
from .models import Member, Network
from .tokens import hash_token, looks_like_token, new_token

KEY_PATTERN = re.compile(r"^[a-z0-9_-]{1,40}$")


def add_member(network: Network, *, key: str, name: str, **fields) -> tuple[Member, str]:
    """A new member and the token of their personal link (shown once, stored hashed)."""
    token = new_token()
    member = Member(network=network, key=key, name=name, token_hash=hash_token(token), **fields)
    db.session.add(member)
    return member, token


def replace_token(member: Member) -> str:
    token = new_token()
    member.token_hash = hash_token(token)
    return token


def member_by_token(token: str) -> Member | None:
    if not looks_like_token(token):
        return None
    return db.session.scalar(
        select(Member).where(Member.token_hash == hash_token(token), Member.active.is_(True))
    )
