"""Access control: which presenters a visitor may reach (docs/access.md).

An access list is configuration ``acl``: sections, each a condition in
fw's expression language over services (``user``, ``roles``, ``clock``,
``request`` ...) and the presenters it allows, by name or pattern::

    acl = AccessList.load(configuration)
    acl.decide("staff/index", names).allowed

Decisions are made on the resolved presenter name, never on the URL, and
deny by default. This package only decides; the application turns a
denial into a redirect to the login page or a 403.
"""

from .lists import AccessList, Decision
from .patterns import Pattern, PatternError
from .sections import Section

__all__ = ["AccessList", "Decision", "Pattern", "PatternError", "Section"]
