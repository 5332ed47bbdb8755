"""One product, chosen by the path parameter ``id``."""

from fw import NotFound


def get(context):
    wanted = context.params["id"]
    for product in context.config("catalog").get("products", []):
        if str(product["id"]) == wanted:
            context.title = product["name"]
            return context.render("product", {"product": product})
    raise NotFound(f"No product has the id {wanted!r}.")
