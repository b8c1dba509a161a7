"""Database helpers shared by every app."""

from __future__ import annotations

import sqlite3
from typing import Any

from django.db import connection
from django.db.models import F
from django.db.models.functions import Collate

# PostgreSQL's ICU collation for Danish: Æ, Ø, Å after Z, and "aa" sorted as "å".
POSTGRES_DANISH = "da-DK-x-icu"
# The same order on the embedded SQLite database, registered on each new connection.
SQLITE_DANISH = "da_dk"

_DANISH_LETTERS = str.maketrans({"æ": "z\uffff1", "ø": "z\uffff2", "å": "z\uffff3"})


def danish_sort_key(value: str) -> str:
    return value.casefold().replace("aa", "å").translate(_DANISH_LETTERS)


def _sqlite_danish_compare(left: str, right: str) -> int:
    a, b = danish_sort_key(left), danish_sort_key(right)
    return (a > b) - (a < b)


def register_sqlite_collation(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite" and isinstance(connection.connection, sqlite3.Connection):
        connection.connection.create_collation(SQLITE_DANISH, _sqlite_danish_compare)


def danish(field: str) -> Collate:
    """An ORDER BY expression that sorts `field` in Danish alphabetical order."""
    name = POSTGRES_DANISH if connection.vendor == "postgresql" else SQLITE_DANISH
    return Collate(F(field), name)
