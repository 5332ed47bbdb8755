"""Run an application as a CGI script, for shared hosting.

Kept apart from fw.server, whose development server a CGI process never
needs: every CGI request starts a new process, so it imports only this.
"""

from __future__ import annotations

from typing import Any
from wsgiref.handlers import CGIHandler


def run_cgi(app: Any) -> None:
    """Answer the one request of a CGI process."""
    CGIHandler().run(app)
