"""``python -m fw users add|passwd|roles``: the bodies of the user commands.

Each is given an Authenticator built from the application, and writes what
it did, or why it refused, to ``out`` for the person at the terminal. A
password is read from the first line of ``password_stream`` (standard
input), never from the command line, where other users of the machine
could see it. Exit codes: 0 done, 1 refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from ..db.records import QueryError
from .passwords import AuthError
from .users import Authenticator, User, split_roles

__all__ = ["read_password", "users_add", "users_passwd", "users_roles"]


def users_add(
    auth: Authenticator,
    login: str,
    roles: Iterable[str],
    *,
    password_stream: TextIO,
    out: TextIO,
) -> int:
    """Add a user with roles, the password read from ``password_stream``."""
    password = read_password(password_stream)
    if not password:
        return _refuse(out, _NO_PASSWORD)

    try:
        user = auth.add_user(login, password, _names(roles))
    except (AuthError, QueryError) as error:
        return _refuse(out, str(error))
    out.write(f"Added the user {user.login} with the roles {_shown(user)}.\n")
    return 0


def users_passwd(
    auth: Authenticator, login: str, *, password_stream: TextIO, out: TextIO
) -> int:
    """Give a user the password read from ``password_stream``."""
    password = read_password(password_stream)
    if not password:
        return _refuse(out, _NO_PASSWORD)

    try:
        user = auth.set_password(login, password)
    except (AuthError, QueryError) as error:
        return _refuse(out, str(error))
    out.write(f"Changed the password of {user.login}.\n")
    return 0


def users_roles(
    auth: Authenticator, login: str, roles: Iterable[str], *, out: TextIO
) -> int:
    """Give a user exactly the roles listed (an empty list takes all away)."""
    try:
        user = auth.set_roles(login, _names(roles))
    except (AuthError, QueryError) as error:
        return _refuse(out, str(error))

    out.write(f"The roles of {user.login} are now {_shown(user)}.\n")
    return 0


def read_password(stream: TextIO) -> str:
    """Return the first line of ``stream`` without its line ending."""
    line = stream.readline()
    if line.endswith("\n"):
        line = line[:-1]
    return line[:-1] if line.endswith("\r") else line


_NO_PASSWORD = (
    "No password arrived on standard input; give it as the first line, for "
    "example: printf '%s\\n' \"$PASSWORD\" | python -m fw users ..."
)


def _names(roles: Iterable[str]) -> list[str]:
    if isinstance(roles, str):
        roles = [roles]
    return [name for item in roles for name in split_roles(item)]


def _refuse(out: TextIO, message: str) -> int:
    out.write(f"{message}\n")
    return 1


def _shown(user: User) -> str:
    return ", ".join(sorted(user.roles)) or "(none)"
