"""URL converters: an `<int:...>` in a route never matches a number the database cannot hold."""

from werkzeug.routing import IntegerConverter

# The largest value of a PostgreSQL integer column (ids, years); SQLite overflows at 2^63.
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """`int` with a default maximum of MAX_ID: a larger id or year is 404, like a missing one."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
