"""The benchmark: an fw application with TechEmpower's endpoints, and its runner.

``prepare(folder)`` copies the application into ``folder`` (never writing
into the repository), installs its tables on SQLite and fills the world
table; ``python -m tests.bench`` measures it (see docs/performance.md).
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

APP = Path(__file__).resolve().parent / "app"
WORLD_ROWS = 10_000
DATABASE = "var/app.db"


def prepare(folder: str | Path) -> Path:
    """Copy the benchmark application into ``folder``, install and fill it."""
    import fw
    from fw.db.commands import install_missing

    root = Path(folder) / "app"
    if root.exists():
        raise SystemExit(f"{root} exists already: remove it, or prepare elsewhere.")
    shutil.copytree(APP, root, ignore=shutil.ignore_patterns("__pycache__"))

    app = fw.application(root)
    install_missing(app)
    _fill_world(app)
    return root


def _fill_world(app: object) -> None:
    """Give the world table its 10,000 rows of random numbers."""
    rows = [(key, random.randint(1, WORLD_ROWS)) for key in range(1, WORLD_ROWS + 1)]
    database = app.database()

    with database.transaction():
        database.execute("DELETE FROM world")
        database.execute_many(
            "INSERT INTO world (id, randomnumber) VALUES (?, ?)", rows
        )
