"""Members of a network and their personal links."""

import hmac
import re

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from .db import db
from .models import Member, Network
from .tokens import derive_token, hash_token, looks_like_token, new_salt

KEY_PATTERN = re.compile(r"^[a-z0-9_-]{1,40}$")
PURPOSE = "member"
# The languages a member's mails can be in (Member.language), the default first.
MAIL_LANGUAGES = ("da", "en")


def mail_language(member: Member) -> str:
    """The language of the member's mails: theirs, or Danish for anything unknown."""
    return member.language if member.language in MAIL_LANGUAGES else MAIL_LANGUAGES[0]


def set_mail_language(member: Member, language: str) -> bool:
    """Set the language of the member's mails; False (and nothing changed) for a language
    mails are not written in. The caller commits."""
    if language not in MAIL_LANGUAGES:
        return False
    member.language = language
    return True


def add_member(network: Network, *, key: str, name: str, **fields) -> tuple[Member, str]:
    """A new member and the token of their personal link."""
    member = Member(network=network, key=key, name=name, **fields)
    token = replace_token(member)
    db.session.add(member)
    return member, token


def replace_token(member: Member) -> str:
    """A new personal link; the old one stops working."""
    member.token_salt = new_salt()
    token = derive_token(PURPOSE, member.token_salt)
    member.token_hash = hash_token(token)
    return token


def personal_token(member: Member) -> str | None:
    """The member's current link token; None when it cannot be derived again (a link made
    before tokens were derivable, or under another SECRET_KEY): replace it to get one."""
    if not member.token_salt:
        return None
    token = derive_token(PURPOSE, member.token_salt)
    return token if hmac.compare_digest(hash_token(token), member.token_hash) else None


# Built once: every personal page asks it (building it costs a third of running it).
MEMBER_BY_TOKEN = (
    select(Member)
    .options(joinedload(Member.network))  # every personal page needs it: one statement
    .where(Member.token_hash == bindparam("digest"), Member.active.is_(True))
)


def member_by_token(token: str) -> Member | None:
    if not looks_like_token(token):
        return None
    digest = hash_token(token)
    member = db.session.scalar(MEMBER_BY_TOKEN, {"digest": digest})
    # The index lookup finds the row; the final word is a constant-time comparison.
    if member is None or not hmac.compare_digest(member.token_hash, digest):
        return None
    return member
