"""A hook: give a product a slug made from its name, before it is stored."""

import re
from uuid import uuid4


def service(context):
    return fill_slug


def fill_slug(event):
    name = event.values.get("name")
    if name and not event.values.get("slug"):
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        event.values["slug"] = slug or uuid4().hex[:12]
