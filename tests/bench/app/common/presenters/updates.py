"""TechEmpower's updates: N random rows, each read and given a new number."""


def get(context):
    world = context.service("db").table("world")
    pick = context.service("random_id")
    answer = []

    with world.database.transaction():
        for _ in range(context.service("query_count")):
            row = world.get(pick())
            number = pick()
            world.update(row.id, randomnumber=number)
            answer.append({"id": row.id, "randomNumber": number})
    return answer
