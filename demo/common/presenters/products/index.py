"""All products: a report with paging and sorting by described fields."""

from fw.forms import Report


def get(context):
    table = context.app.schema(context.stack).table("products")
    report = Report(table, ["name", "price", "category_id"], per_page=10, sort="name")
    query = context.request.query
    page = report.fetch(context.service("db").table("products"), query)
    context.title = context.text("products.list")
    html = report.render(
        page,
        texts=context.service("texts"),
        lang=context.service("language"),
        query=query,
        path=context.request.path,
    )
    return context.render("form_page", {"heading": context.title, "form": html})
