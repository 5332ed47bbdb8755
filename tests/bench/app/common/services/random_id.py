"""A function giving a random id of the world table, which has 10,000 rows."""

import random

WORLD_ROWS = 10_000


def service(context):
    """Return a function that picks a world id from 1 to 10,000."""
    return lambda: random.randint(1, WORLD_ROWS)
