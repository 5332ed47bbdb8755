"""A new product: a form built from the description of the products table.

The browser checks it as the visitor types (fw/client/forms.js, with the
same rules and messages); the server checks it again, because a browser
can be bypassed, and stores nothing until it passes.
"""

from fw import csrf
from fw.forms import Form

FIELDS = ["name", "price", "category_id"]


def get(context):
    return _page(context)


def post(context):
    form = _form(context)
    values, errors = form.process(context.request.form)
    if errors:
        context.response.status = 422
        context.use_layout = True
        return _page(context, values=context.request.form, errors=errors)
    record = context.service("db").table("products").insert(**values)
    return context.redirect(f"/products/{record.id}")


def _form(context):
    table = context.app.schema(context.stack).table("products")
    return Form.for_table(table, FIELDS, form_id="product")


def _page(context, *, values=None, errors=None):
    context.title = context.text("products.new")
    html = _form(context).render(
        texts=context.service("texts"),
        lang=context.service("language"),
        values=values,
        errors=errors,
        csrf_field=csrf.field(context.service("session")),
    )
    return context.render("form_page", {"heading": context.title, "form": html})
