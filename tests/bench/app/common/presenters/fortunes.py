"""TechEmpower's fortunes: all rows plus one, sorted here, escaped by the template."""

EXTRA = "Additional fortune added at request time."


def get(context):
    fortunes = context.service("db").table("fortune").find().values("id", "message")
    fortunes.append((0, EXTRA))
    fortunes.sort(key=lambda fortune: fortune[1])
    return context.render("fortunes", {"fortunes": fortunes})
