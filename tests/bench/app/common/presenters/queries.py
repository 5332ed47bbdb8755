"""TechEmpower's multiple queries: N random rows, one query each."""


def get(context):
    world = context.service("db").table("world")
    pick = context.service("random_id")
    rows = [world.get(pick()) for _ in range(context.service("query_count"))]
    return [{"id": row.id, "randomNumber": row.randomnumber} for row in rows]
