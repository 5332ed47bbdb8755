"""The home page: the products from configuration, in a template."""


def get(context):
    catalog = context.config("catalog")
    return context.render(
        "home",
        {
            "products": catalog.get("products", []),
            "host": context.request.host,
            "environment_id": context.app.environment_id,
        },
    )
