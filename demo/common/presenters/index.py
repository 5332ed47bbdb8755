"""The home page: the products from configuration, in a template."""


def get(context):
    catalog = context.config("catalog")
    return context.render(
        "home",
        {
            "products": catalog.get("products", []),
            "host": context.request.host,
            "environment_id": context.app.environment_id,
            "server": context.stack.server,
            "port": context.request.environ.get("SERVER_PORT", "8000"),
        },
    )
