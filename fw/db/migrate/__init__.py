"""Install and upgrade a database from the table descriptions.

``plan`` compares descriptions with a live schema and returns the steps
between them; ``status``, ``upgrade`` and ``install`` read the live schema
of a Database and apply plans. See docs/database.md.
"""

from .apply import DataLossRefused, MigrationError, apply, install, status, upgrade
from .plan import Plan, Step, plan

__all__ = [
    "DataLossRefused",
    "MigrationError",
    "Plan",
    "Step",
    "apply",
    "install",
    "plan",
    "status",
    "upgrade",
]
