"""fw's browser scripts, served from the package: /fw/expressions.js ...

Only the files of fw/client/ are served, by their exact names; anything
else is 404. An application with an access list lets visitors reach them
by allowing ``fw/[script]``.
"""

from pathlib import Path

import fw
from fw import NotFound
from fw.presenters import content_type, send_file

CLIENT = Path(fw.__file__).resolve().parent / "client"


def get(context):
    name = context.params["script"]
    scripts = {path.name: path for path in CLIENT.glob("*.js")}
    if name not in scripts:
        raise NotFound(f"fw has no browser script called {name!r}.")
    context.response.set_header("Content-Type", content_type(scripts[name]))
    context.response.set_header("Cache-Control", "no-cache")
    return send_file(context, scripts[name])
