"""A full-stack page: session, access decision, layout, template, one query."""


def get(context):
    visits = context.service("session").get("visits", 0)
    fortune = context.service("db").table("fortune").get(1)
    context.title = "A page"
    return context.render("page", {"fortune": fortune.message, "visits": visits})
