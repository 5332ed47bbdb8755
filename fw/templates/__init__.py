"""HTML templates: Jinja-flavoured, compiled to Python, cached, autoescaped.

The syntax is described in docs/templates.md. ``Templates`` is the engine
of one application; it finds templates through the layer cascade.
"""

from __future__ import annotations

from .loader import Template, Templates
from .markup import Markup, escape
from .runtime import Lazy

__all__ = ["Lazy", "Markup", "Template", "Templates", "escape"]
