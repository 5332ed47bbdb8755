"""Compare records with raw sqlite3 doing the same work.

Run it with ``python -m tests.bench_records``.

It prints inserts and selects per second (a get by key, a find with a
filter) through fw's records and through plain sqlite3 on the same kind
of table, and the ratio. A benchmark, not a test: nothing is asserted.
The records insert reads its row back (to return it with the stored
values), which plain sqlite3 does not; that cost is part of what is
measured.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from fw.db.connection import Database
from fw.db.records import Records
from fw.db.schema import parse_schema

ROWS = 5000
FINDS = 300
STOCK_LEVELS = 100

SCHEMA = parse_schema({
    "products": ({
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "name": {"type": "text", "length": 80, "required": True},
            "price": {"type": "decimal", "precision": 10, "scale": 2},
            "stock": {"type": "integer"},
            "active": {"type": "boolean"},
            "added": {"type": "date"},
        },
    }, "bench"),
})
TABLE = SCHEMA.table("products")


def row(number: int) -> dict:
    """Return the values of the product numbered ``number``."""
    return {
        "name": f"Product {number}",
        "price": Decimal(number % 997) / 4,
        "stock": number % STOCK_LEVELS,
        "active": number % 3 != 0,
        "added": date(2024, 1 + number % 12, 1 + number % 28),
    }


def through_records(path: Path) -> dict[str, float]:
    """Time inserts, gets and finds through Records; return seconds each."""
    database = Database(f"sqlite:///{path}")
    create(database)
    products = Records(database, SCHEMA).table("products")
    timings = {}

    with Timer(timings, "insert"), database.transaction():
        keys = [products.insert(row(n)).id for n in range(ROWS)]
    with Timer(timings, "get"):
        for key in keys:
            products.get(key)
    with Timer(timings, "find"):
        for n in range(FINDS):
            list(products.find(stock=n % STOCK_LEVELS, active=True).order("name"))
    database.close()
    return timings


def through_sqlite3(path: Path) -> dict[str, float]:
    """Time the same work with plain sqlite3; return seconds each."""
    database = Database(f"sqlite:///{path}")
    create(database)
    database.close()
    connection = sqlite3.connect(path)
    names = ", ".join(TABLE.field_names)
    timings = {}

    with Timer(timings, "insert"):
        keys = [insert_raw(connection, row(n)) for n in range(ROWS)]
        connection.commit()
    with Timer(timings, "get"):
        for key in keys:
            connection.execute(
                f"SELECT {names} FROM products WHERE id = ?", (key,)
            ).fetchone()
    with Timer(timings, "find"):
        for n in range(FINDS):
            connection.execute(
                f"SELECT {names} FROM products WHERE stock = ? AND active = ? "
                "ORDER BY name",
                (n % STOCK_LEVELS, 1),
            ).fetchall()
    connection.close()
    return timings


def insert_raw(connection: sqlite3.Connection, values: dict) -> int:
    """Insert a row the way a careful hand-written program would."""
    cursor = connection.execute(
        "INSERT INTO products (name, price, stock, active, added) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            values["name"],
            str(values["price"]),
            values["stock"],
            int(values["active"]),
            values["added"].isoformat(),
        ),
    )
    return cursor.lastrowid


def create(database: Database) -> None:
    """Create the products table with the dialect's own DDL."""
    for statement in database.dialect.create_table(TABLE):
        database.execute(statement)


class Timer:
    """Store how long a block took, in seconds, under a name."""

    def __init__(self, timings: dict[str, float], name: str) -> None:
        self.timings = timings
        self.name = name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc_info: object) -> None:
        self.timings[self.name] = time.perf_counter() - self.start


def report(records: dict[str, float], raw: dict[str, float], out: Callable) -> None:
    """Write operations per second for both, and records' share of raw speed."""
    counts = {"insert": ROWS, "get": ROWS, "find": FINDS}
    out(f"{'operation':<28}{'records/s':>12}{'sqlite3/s':>12}{'ratio':>8}")
    labels = {
        "insert": "insert",
        "get": "select: get by key",
        "find": f"select: find (~{ROWS // STOCK_LEVELS * 2 // 3} rows)",
    }
    for name, label in labels.items():
        ours, theirs = counts[name] / records[name], counts[name] / raw[name]
        out(f"{label:<28}{ours:>12,.0f}{theirs:>12,.0f}{ours / theirs:>8.2f}")


def main() -> None:
    """Run both sides in a temporary folder and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        records = through_records(Path(folder) / "records.db")
        raw = through_sqlite3(Path(folder) / "raw.db")

    def out(line: str) -> None:
        sys.stdout.write(line + "\n")

    out(f"{ROWS} inserts in one transaction, {ROWS} gets, {FINDS} finds; SQLite.")
    report(records, raw, out)
    out("ratio = records speed / sqlite3 speed (1.00 = as fast as raw sqlite3)")


if __name__ == "__main__":
    main()
