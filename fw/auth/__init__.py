"""Authentication: password hashes, users from a described table, commands.

``fw.auth.passwords`` hashes and verifies passwords (scrypt or PBKDF2, the
algorithm and parameters kept in each hash); ``fw.auth.users`` reads the
``auth`` configuration and checks logins against the users table;
``fw.auth.commands`` holds the bodies of ``python -m fw users ...``. See
docs/authentication.md.
"""

from __future__ import annotations

from .passwords import AuthError, hash_password, needs_rehash, verify_password
from .users import Authenticator, Settings, User, normalize_login, read_settings

__all__ = [
    "AuthError",
    "Authenticator",
    "Settings",
    "User",
    "hash_password",
    "needs_rehash",
    "normalize_login",
    "read_settings",
    "verify_password",
]
