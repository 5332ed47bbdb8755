"""The number of rows /queries and /updates ask for, by TechEmpower's rules."""

LOWEST = 1
HIGHEST = 500


def service(context):
    """Return ``?queries=N`` clamped to 1..500; missing or not a number gives 1."""
    wanted = context.request.query.get("queries", "")
    try:
        count = int(wanted)
    except ValueError:
        return LOWEST
    return min(max(count, LOWEST), HIGHEST)
