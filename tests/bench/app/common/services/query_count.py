"""The number of rows /queries and /updates ask for, by TechEmpower's rules."""

LOWEST = 1
HIGHEST = 500


def service(context):
    """Return ``?queries=N`` clamped to 1..500; missing or not an integer gives 1.

    Only ASCII digits make an integer (int() would also take "1_0", " 5 " or
    other scripts' digits); a minus sign means below 1 anyway.
    """
    wanted = context.request.query.get("queries", "")
    if not (wanted.isascii() and wanted.isdigit()):
        return LOWEST
    digits = wanted.lstrip("0")
    if len(digits) > len(str(HIGHEST)):
        return HIGHEST
    return min(max(int(digits or "0"), LOWEST), HIGHEST)
