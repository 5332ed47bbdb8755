"""One product, chosen by the path parameter ``id``."""

from fw import NotFound


def get(context):
    wanted = context.params["id"]
    products = context.service("db").table("products")
    product = products.get(int(wanted)) if wanted.isdigit() else None
    if product is None:
        raise NotFound(f"No product has the id {wanted!r}.")
    context.title = product.name
    category = product.related("category_id")
    return context.render("product", {"product": product, "category": category})
