"""Administration: the users and their roles (admins only, see config/acl.xml)."""


def get(context):
    context.title = "Administration"
    users = context.service("db").table("users").find().order("login")
    rows = [(user, sorted(r.name for r in user.related("roles"))) for user in users]
    return context.render("admin", {"rows": rows})
