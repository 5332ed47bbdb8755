"""All products or categories: a report with paging and sorting."""

from fw import NotFound
from fw.forms import Report

COLUMNS = {"products": ["name", "price", "category_id"], "categories": ["name"]}


def get(context):
    name = context.params["table"]
    if name not in COLUMNS:
        raise NotFound(f"The catalog has no table called {name!r}.")
    table = context.app.schema(context.stack).table(name)
    report = Report(table, COLUMNS[name], per_page=10, sort="name")
    query = context.request.query
    page = report.fetch(context.service("db").table(name), query)
    context.title = context.text(f"{name}.list")
    html = report.render(
        page,
        texts=context.service("texts"),
        lang=context.service("language"),
        query=query,
        path=context.request.path,
    )
    return context.render("form_page", {
        "heading": context.title,
        "form": html,
        "new_url": f"/catalog/{name}/new",
        "new_label": context.text(f"{name}.new"),
        "problem": None,
    })
