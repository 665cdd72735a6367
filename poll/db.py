"""SQLAlchemy base with an explicit constraint naming convention, JSON columns through orjson,
and SQLite pragmas."""

import sqlite3
from typing import TYPE_CHECKING

import orjson
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# What orjson would write where the standard json module refuses (dates, datetimes, dataclasses)
# is refused here too, so a value a column was never meant to hold fails as loudly as before.
_JSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _not_json(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def json_dumps(value: object) -> str:
    """A JSON column's text: compact, non-ASCII kept as is (the json module escaped it as \\u;
    both read back the same)."""
    return orjson.dumps(value, default=_not_json, option=_JSON_OPTIONS).decode()


def json_loads(text: str | bytes) -> object:
    return orjson.loads(text)


# JSON columns (answers, plan results, the poll's rules) are read on every member page and
# save: orjson decodes them several times faster than the json module, on both engines.
db = SQLAlchemy(
    model_class=Base,
    engine_options={"json_serializer": json_dumps, "json_deserializer": json_loads},
)

# The models' base class. At run time it is db.Model, Flask-SQLAlchemy's copy of Base with its
# session binding; mypy cannot take a class from an attribute, so it reads the models through
# Base, whose Mapped[...] annotations are the same.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def lock_for_write(statement, of=None):
    """`statement` (a SELECT of rows about to be changed) made safe to read-modify-write.

    PostgreSQL locks the rows it returns (FOR UPDATE, of the table `of` if given) and the
    session takes their newest committed state. SQLite has no row locks: the transaction takes
    the database's write lock before reading (BEGIN IMMEDIATE, unless a write of this
    transaction already holds it), so no other writer can commit between the read and the
    write."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")
    return statement.with_for_update(of=of).execution_options(populate_existing=True)
