"""How many other members can come each day: the member page's per-day counts.

Counting decodes every member's answer document (at 60 members × 46 days × 2 venues about
2.5 ms of app CPU, a fifth of the page; having PostgreSQL count them with json_each cost the
database 9 ms per page). On PostgreSQL the poll's totals are therefore kept per process and
reused while nothing they are counted from has changed: the member's own response comes with a
fingerprint of the poll's responses and their members (how many, and the sum of their rows'
`xmin`, the transaction that last wrote each row: any write, by any code, gives a row a new
one, the same token PostgreSQL drivers use for optimistic concurrency). A page whose poll no
one changed then decodes only the member's own document. SQLite counts every time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import BigInteger, ColumnElement, bindparam, func, literal_column, select
from sqlalchemy.orm import aliased

from .db import db
from .models import Answer, Member, Response

YES, MAYBE = Answer.YES.value, Answer.MAYBE.value  # plain strings: compared faster
Document = Mapping[str, Mapping[str, str]]  # {ISO day: {venue key: answer}}
CACHED_POLLS = 256


@dataclass(frozen=True)
class Totals:
    """Per ISO day, how many members said yes at one of the venues, and how many said if need
    be there and yes nowhere."""

    yes: Counter[str]
    maybe: Counter[str]


_cache: dict[tuple[int, tuple[str, ...]], tuple[str, Totals]] = {}
_cache_lock = Lock()


def fingerprint() -> ColumnElement[str]:
    """A PostgreSQL scalar subquery that changes whenever a response of the poll (bound as
    `poll`) or its member's row is written, added or removed."""
    response, member = aliased(Response, name="fp_r"), aliased(Member, name="fp_m")
    versions = literal_column("fp_r.xmin::text::bigint + fp_m.xmin::text::bigint", BigInteger)
    return (
        select(func.concat(func.count(), ":", func.coalesce(func.sum(versions), 0)))
        .select_from(response)
        .join(member, member.id == response.member_id)
        .where(response.poll_id == bindparam("poll"), member.active.is_(True))
        .scalar_subquery()
    )


def others_by_day(
    poll_id: int,
    member_id: int,
    own: Document | None,
    version: str | None,
    day_ids: Mapping[str, int],
    venues: AbstractSet[str],
) -> dict[int, tuple[int, int]]:
    """Per day id, (other members who said yes, others who said if need be and not yes), the
    member's own answers `own` taken out of the poll's totals. `version` is the poll's
    fingerprint read with `own` (None: count afresh)."""
    key = (poll_id, tuple(sorted(venues)))
    cached = _cache.get(key)
    if version is not None and cached is not None and cached[0] == version:
        totals = cached[1]
    else:
        rows = db.session.execute(
            select(Response.member_id, Response.answers)
            .join(Member, Member.id == Response.member_id)
            .where(Response.poll_id == poll_id, Member.active.is_(True))
        ).all()
        totals = count((answers for _member, answers in rows), venues)
        # Taken from the same read as the totals: the member may have saved meanwhile.
        own = next((answers for member, answers in rows if member == member_id), None)
        if version is not None:
            with _cache_lock:
                if len(_cache) >= CACHED_POLLS:
                    _cache.clear()
                _cache[key] = (version, totals)
    mine = count([own] if own else [], venues)
    return {
        day_id: counts
        for day, day_id in day_ids.items()
        if any(counts := (totals.yes[day] - mine.yes[day], totals.maybe[day] - mine.maybe[day]))
    }


def count(documents: Iterable[Document], venues: AbstractSet[str]) -> Totals:
    yes_days: list[str] = []
    maybe_days: list[str] = []
    for document in documents:
        for day, by_venue in document.items():
            # Mostly every venue a document names is still one of the poll's: no filtering.
            said = (
                by_venue.values()
                if by_venue.keys() <= venues
                else [value for venue, value in by_venue.items() if venue in venues]
            )
            if YES in said:
                yes_days.append(day)
            elif MAYBE in said:
                maybe_days.append(day)
    return Totals(Counter(yes_days), Counter(maybe_days))
