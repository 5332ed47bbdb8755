"""Log out: a form on GET (a link must not log anyone out), the work on POST."""

from fw import guard


def get(context):
    context.title = "Log out"
    return context.render("logout")


def post(context):
    guard.log_out(context)
    return context.redirect("/")
