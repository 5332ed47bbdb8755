"""``python -m fw db install|status|upgrade|copy``: the database commands.

Each works on the application's configured connection, or on the one given
with ``--database URL``. Output goes to the stream given, as it is meant
for the person at the terminal.
"""

from __future__ import annotations

import logging
from contextlib import closing
from typing import TYPE_CHECKING, TextIO

from . import migrate, open_database, read_schema
from .connection import Database, DatabaseError
from .copy import copy_database
from .schema import Schema

if TYPE_CHECKING:
    from ..app import Application

log = logging.getLogger(__name__)


def install_missing(app: Application, *, url: str | None = None) -> list[str]:
    """Create the described tables the database lacks; return their names.

    ``python run.py`` calls this at start-up, so a new checkout serves its
    demo with its tables and sample rows and no command to remember.
    """
    database, schema = _open(app, url, create=True)
    with closing(database):
        done = migrate.install(database, schema)
    created = [step.table for step in done.steps if step.kind == "create"]
    if created:
        where = database.url.redacted()
        log.info("Installed the tables %s on %s.", ", ".join(created), where)
    return created


def install(app: Application, *, url: str | None, out: TextIO) -> int:
    """Create every described table that is missing, with its seed rows."""
    created = install_missing(app, url=url)
    where = _where(app, url)
    if created:
        out.write(f"Installed {', '.join(created)} on {where}.\n")
    else:
        out.write(f"Nothing to install on {where}: every described table exists.\n")
    return 0


def status(app: Application, *, url: str | None, out: TextIO) -> int:
    """Print the differences; exit 0 when there are none, 1 when there are."""
    database, schema = _open(app, url)
    with closing(database):
        found = migrate.status(database, schema)
    out.write(f"{database.url.redacted()}:\n{found.describe()}")
    return 1 if found else 0


def upgrade(
    app: Application,
    *,
    url: str | None,
    out: TextIO,
    dry_run: bool = False,
    allow_data_loss: bool = False,
) -> int:
    """Bring the database to the descriptions, or print the SQL it would run."""
    database, schema = _open(app, url)
    with closing(database):
        done = migrate.upgrade(
            database, schema, allow_data_loss=allow_data_loss, dry_run=dry_run
        )
    if dry_run:
        out.write(done.sql() or "-- Nothing to do.\n")
    elif done.steps:
        out.write(f"Upgraded {database.url.redacted()}:\n{done.describe()}")
    else:
        out.write("The database matches the descriptions.\n")
    return 0


def copy(app: Application, *, url: str | None, to: str, out: TextIO) -> int:
    """Install the descriptions on the target and copy every row to it."""
    source, schema = _open(app, url)
    target = Database(to, root=app.root)
    with closing(source), closing(target):
        migrate.install(target, schema, seed=False)
        counts = copy_database(source, target, schema)
    for name, count in counts.items():
        out.write(f"{name}: {count} rows\n")
    out.write(f"Copied to {target.url.redacted()}; the row counts agree.\n")
    return 0


def _where(app: Application, url: str | None) -> str:
    config = app.layers.without_host().config
    return open_database(config, app.root, url).url.redacted()


def _open(
    app: Application, url: str | None, *, create: bool = False
) -> tuple[Database, Schema]:
    """Return the database and the schema; only install may create a SQLite file."""
    stack = app.layers.without_host()
    schema = read_schema(stack.finder, watch=False)
    database = open_database(stack.config, app.root, url)
    path = database.url.path
    missing = path is not None and str(path) != ":memory:" and not path.exists()
    if missing and not create:
        raise DatabaseError(
            f"The database file {path} does not exist; check the URL, or run "
            "'python -m fw db install' to create it."
        )
    return database, schema
