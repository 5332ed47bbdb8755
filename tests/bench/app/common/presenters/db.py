"""TechEmpower's single query: one random row of the world table."""


def get(context):
    world = context.service("db").table("world")
    row = world.get(context.service("random_id")())
    return {"id": row.id, "randomNumber": row.randomnumber}
