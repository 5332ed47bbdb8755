"""Change the visitor's language: /language?set=es&next=/page.

The choice is kept in the session, so it holds for the next requests; a
language the layers hold no texts for is refused. Plain links do it, so
that pages need no form (and visitors who never choose store nothing);
changing a language is harmless enough to need no CSRF token.
"""

from fw import BadRequest
from fw.i18n import match_tag
from fw.language import SESSION_KEY
from fw.redirects import local_path


def get(context):
    query = context.request.query
    next_path = local_path(query.get("next"), "/")
    asked = query.get("set")
    languages = context.service("texts").languages()
    if asked is None:
        context.title = "Language"
        return context.render("language", {"languages": languages, "next": next_path})
    wanted = match_tag(asked, languages) or match_tag(asked.split("-")[0], languages)
    if wanted is None:
        raise BadRequest(f"This site has no texts in the language {asked!r}.")
    context.service("session")[SESSION_KEY] = wanted
    return context.redirect(next_path)
