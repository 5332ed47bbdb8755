"""The home page: the products from the database, in a template."""


def get(context):
    db = context.service("db")
    products = db.table("products").find().order("name")
    return context.render(
        "home",
        {
            "products": list(products),
            "host": context.request.host,
            "environment_id": context.app.environment_id,
            "server": context.stack.server,
            "port": context.request.environ.get("SERVER_PORT", "8000"),
        },
    )
