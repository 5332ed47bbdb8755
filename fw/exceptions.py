"""Every exception fw raises on purpose, in one place.

The tree::

    FwError
     +-- ConfigError           a configuration file is missing, broken or wrong
     +-- UnsafeNameError       a name asked of the finder could leave its folders
     +-- ServiceError          a service is unknown or cannot be loaded
     +-- ExpressionError       an expression does not parse or fails to evaluate
     +-- TemplateError         a template does not parse, or fails while rendering
     +-- ErrorStoreError       an error record cannot be read back
     +-- HeadersSentError      status or headers changed after the body started
     +-- AuthError             a user, role or password cannot be used as asked
     +-- MailError             a message cannot be built or sent
     +-- HTTPError             ends a request with an HTTP status (3xx, 4xx, 5xx)
          +-- Redirect         303, to a Location
          +-- BadRequest       400
          +-- Forbidden        403
          +-- NotFound         404
          +-- MethodNotAllowed 405

Errors that come from a file carry where: ``origin`` (the file or a label),
``line`` and ``column`` when they are known, and say it in their message.
"""

from __future__ import annotations

from typing import Any


class FwError(Exception):
    """Base class of the exceptions fw raises on purpose."""


class LocatedError(FwError):
    """An error about a place in a file: the message names file, line, column."""

    def __init__(
        self,
        message: str,
        *,
        origin: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.origin = origin
        self.line = line
        self.column = column
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = [str(self.origin)] if self.origin else []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if not where:
            return self.message
        return f"{', '.join(where)}: {self.message}"


class ConfigError(LocatedError):
    """A configuration file is broken, or a value in it is wrong."""


class ExpressionError(LocatedError):
    """An expression cannot be parsed, or failed while it was evaluated.

    ``kind`` says which rule it broke (syntax, name, type ...: the kinds of
    docs/expressions.md), the same in Python and in the browser.
    """

    def __init__(self, message: str, *, kind: str | None = None, **where: Any) -> None:
        self.kind = kind
        super().__init__(message, **where)


class TemplateError(LocatedError):
    """A template cannot be parsed, or failed while it was rendered."""


class UnsafeNameError(FwError):
    """A name given to the finder could reach outside its folders."""


class ServiceError(FwError):
    """A service is unknown, or its module cannot be loaded."""


class ErrorStoreError(FwError):
    """A stored error record is missing or cannot be read."""


class HeadersSentError(FwError):
    """Status or headers were changed after the first body chunk was sent."""


class AuthError(FwError):
    """A user, role or password cannot be used as asked: the message says why."""


class MailError(FwError):
    """A message cannot be built or sent: the message says why and what to do."""


class HTTPError(FwError):
    """End the request with an HTTP error status and the cascade's error page."""

    status = 500
    reason = "Internal Server Error"

    def __init__(self, detail: str = "", *, headers: dict[str, str] | None = None):
        self.detail = detail
        self.headers = dict(headers or {})
        super().__init__(detail or self.reason)


class Redirect(HTTPError):
    """Send the client to another location (303 See Other)."""

    status = 303
    reason = "See Other"

    def __init__(self, location: str, *, status: int = 303) -> None:
        super().__init__(f"See {location}", headers={"Location": location})
        self.status = status


class BadRequest(HTTPError):
    """The request is malformed: a bad Host, path or form."""

    status = 400
    reason = "Bad Request"


class Forbidden(HTTPError):
    """The visitor may not reach what was asked for."""

    status = 403
    reason = "Forbidden"


class NotFound(HTTPError):
    """Nothing answers at the requested path."""

    status = 404
    reason = "Not Found"


class MethodNotAllowed(HTTPError):
    """The presenter exists but does not answer this method."""

    status = 405
    reason = "Method Not Allowed"
