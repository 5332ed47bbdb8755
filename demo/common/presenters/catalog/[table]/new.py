"""A new product or category: a form built from the table's description.

The browser checks it as the visitor types (fw/client/forms.js, with the
same rules and messages); the server checks it again, because a browser
can be bypassed, and stores nothing until it passes.
"""

from fw import NotFound, csrf
from fw.db import ConstraintError
from fw.forms import Form

FIELDS = {"products": ["name", "price", "category_id"], "categories": ["name"]}


def get(context):
    return _page(context)


def post(context):
    form = _form(context)
    values, errors = form.process(context.request.form)
    if errors:
        return _refused(context, errors=errors)
    try:
        context.service("db").table(_table(context)).insert(**values)
    except ConstraintError:
        return _refused(context, problem=context.text("forms.constraint"))
    return context.redirect(f"/catalog/{_table(context)}/")


def _refused(context, *, errors=None, problem=None):
    context.response.status = 422
    context.use_layout = True
    form = context.request.form
    return _page(context, values=form, errors=errors, problem=problem)


def _table(context):
    name = context.params["table"]
    if name not in FIELDS:
        raise NotFound(f"The catalog has no table called {name!r}.")
    return name


def _form(context):
    name = _table(context)
    table = context.app.schema(context.stack).table(name)
    return Form.for_table(table, FIELDS[name], form_id=name)


def _page(context, *, values=None, errors=None, problem=None):
    context.title = context.text(f"{_table(context)}.new")
    html = _form(context).render(
        texts=context.service("texts"),
        lang=context.service("language"),
        values=values,
        errors=errors,
        csrf_field=csrf.field(context.service("session")),
    )
    values = {"heading": context.title, "form": html, "problem": problem}
    values["new_url"] = None
    return context.render("form_page", values)
