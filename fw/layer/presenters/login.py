"""Log in: fw's built-in page, restyled by templates/login.html in any layer.

A failed login answers the same way, and takes the same work, whether the
login exists or not. On success the session gets a new id and the visitor
goes to ``next`` when it is a path on this site, else to the home page.
"""

from fw import guard
from fw.redirects import local_path


def get(context):
    return _page(context, next_path=context.request.query.get("next", "/"))


def post(context):
    form = context.request.form
    login, password = form.get("login", ""), form.get("password", "")
    user = context.service("auth").authenticate(login, password)
    if user is None:
        context.response.status = 401
        context.use_layout = True
        return _page(context, next_path=form.get("next", "/"), login=login, failed=True)
    guard.log_in(context, user)
    return context.redirect(local_path(form.get("next"), "/"))


def _page(context, *, next_path, login="", failed=False):
    context.title = "Log in"
    values = {"next": local_path(next_path, "/"), "login": login, "failed": failed}
    return context.render("login", values)
