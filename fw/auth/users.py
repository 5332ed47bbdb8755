"""Users from a described table: settings, the authenticator and User.

The configuration ``auth`` names the table that holds the users and how to
read it; every name is checked against the table descriptions::

    {
      "table": "users",
      "login": "login",
      "password": "password_hash",
      "fields": ["id", "login", "name"],
      "roles": {"relation": "roles", "name": "name"},
      "algorithm": "scrypt",
      "params": {"n": 16384, "r": 8, "p": 1},
      "max_length": 1024
    }

``roles`` is a many-to-many relation of the users table (and the field of
the related table that holds a role's name), or ``{"field": "role"}``, a
text field holding one role or several separated by commas, or ``{}`` for
users without roles. See docs/authentication.md.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..db.records import QueryError, Record, Records, TableRecords
from ..db.schema import Schema, Table
from ..exceptions import ConfigError
from .passwords import (
    DEFAULTS,
    MAX_LENGTH,
    AuthError,
    check_params,
    dummy_hash,
    hash_length,
    hash_password,
    is_well_formed,
    needs_rehash,
    verify_password,
)

__all__ = [
    "Authenticator",
    "Settings",
    "User",
    "normalize_login",
    "read_settings",
    "split_roles",
]

log = logging.getLogger(__name__)

ORIGIN = "config/auth"
_CANDIDATES = 20
_KEYS = (
    "table", "login", "password", "fields", "roles", "algorithm", "params",
    "max_length",
)


@dataclass(frozen=True)
class Settings:
    """Where the users are and how their passwords are hashed, checked."""

    table: str = "users"
    login: str = "login"
    password: str = "password_hash"
    fields: tuple[str, ...] = ("id", "login", "name")
    role_relation: str | None = "roles"
    role_name: str = "name"
    role_field: str | None = None
    algorithm: str = "scrypt"
    params: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULTS["scrypt"])
    )
    max_length: int = MAX_LENGTH


@dataclass(frozen=True)
class User:
    """A logged-in user: key, normalized login, returned fields and role names.

    The returned fields read as attributes too (``user.name``), which is how
    access conditions and templates reach them. The password hash is never
    among them.
    """

    key: Any
    login: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    roles: frozenset[str] = frozenset()

    def __getattr__(self, name: str) -> Any:
        fields = self.__dict__.get("fields", {})
        if name.startswith("_") or name not in fields:
            raise AttributeError(
                f"The user has no field {name!r}; the fields returned are "
                f"{', '.join(fields) or 'none'} (the 'fields' of config/auth)."
            )
        return fields[name]

    def __hash__(self) -> int:
        return hash((self.key, self.login))


def normalize_login(login: str) -> str:
    """Return the form logins are stored and compared in: NFKC, case folded."""
    folded = unicodedata.normalize("NFKC", login).casefold()
    return unicodedata.normalize("NFKC", folded).strip()


def read_settings(
    data: Mapping[str, Any] | None, schema: Schema, *, origin: str | None = ORIGIN
) -> Settings:
    """Return the checked settings of configuration ``auth``; ConfigError if wrong."""
    data = {} if data is None else data
    _check_keys(data, origin)

    table = _table(schema, data.get("table", Settings.table), origin)
    password = data.get("password", Settings.password)
    algorithm = data.get("algorithm", Settings.algorithm)
    params = check_params(algorithm, data.get("params"), origin=origin)
    _check_password_field(table, password, hash_length(algorithm, params), origin)
    return Settings(
        table=table.name,
        login=_text_field(table, data.get("login", Settings.login), "login", origin),
        password=password,
        fields=_returned_fields(table, data.get("fields"), password, origin),
        **_roles(schema, table, data.get("roles", _default_roles(table)), origin),
        algorithm=algorithm,
        params=params,
        max_length=_max_length(data.get("max_length", MAX_LENGTH), origin),
    )


class Authenticator:
    """Check logins against the users table, and change users and roles.

    A failed login takes the same work whether the user exists or not: a
    missing user, or one without a usable hash, is verified against a
    dummy hash of the configured algorithm.
    """

    def __init__(
        self,
        records: Records,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        origin: str | None = ORIGIN,
    ) -> None:
        if not isinstance(settings, Settings):
            settings = read_settings(settings, records.schema, origin=origin)
        self.records = records
        self.settings = settings
        self._dummy = dummy_hash(settings.algorithm, settings.params)

    def __repr__(self) -> str:
        return f"<Authenticator {self.settings.table} in {self.records!r}>"

    @property
    def users(self) -> TableRecords:
        """Return the records of the users table."""
        return self.records.table(self.settings.table)

    def authenticate(self, login: str, password: str) -> User | None:
        """Return the user whose login and password match, or None."""
        record = self._record(login)
        stored = None if record is None else record[self.settings.password]
        usable = is_well_formed(stored)

        matched = verify_password(
            password,
            stored if usable else self._dummy,
            max_length=self.settings.max_length,
        )
        if record is None or not usable or not matched:
            log.debug("A login failed for %r.", login)
            return None
        self._rehash_if_needed(record, stored, password)
        return self._user(record)

    def load(self, key: Any) -> User | None:
        """Return the user with a primary key (as a session keeps it), or None."""
        if isinstance(key, list):
            key = tuple(key)
        try:
            record = None if key is None else self.users.get(key)
        except QueryError:
            log.debug("No user can have the key %r.", key)
            return None
        return None if record is None else self._user(record)

    def find_user(self, login: str) -> User | None:
        """Return the user with a login, or None; no password is checked."""
        record = self._record(login)
        return None if record is None else self._user(record)

    def add_user(
        self,
        login: str,
        password: str,
        roles: Iterable[str] = (),
        *,
        fields: Mapping[str, Any] | None = None,
    ) -> User:
        """Add a user with a password, roles and other fields; return it."""
        name = self._new_login(login)
        wanted = self._checked_roles(roles)
        values = {**self._extra_fields(fields), self.settings.login: name}
        values[self.settings.password] = self._hash(password)

        with self.records.transaction():
            record = self.users.insert(self._with_role_field(values, wanted))
            self._link_roles(record, wanted)
        log.info("Added the user %s with the roles %s.", name, _listed(wanted))
        return self._user(record)

    def set_password(self, login: str, password: str) -> User:
        """Give an existing user a new password; return the user."""
        record = self._existing(login)
        hashed = self._hash(password)

        self.users.update(record.key, {self.settings.password: hashed})
        log.info("Changed the password of %s.", record[self.settings.login])
        return self._user(record)

    def set_roles(self, login: str, roles: Iterable[str]) -> User:
        """Give an existing user exactly these roles; return the user."""
        record = self._existing(login)
        wanted = self._checked_roles(roles)

        with self.records.transaction():
            if self.settings.role_field:
                self.users.update(record.key, self._with_role_field({}, wanted))
            else:
                self._replace_links(record, wanted)
        log.info("Set the roles of %s to %s.", record[self.settings.login],
                 _listed(wanted))
        return self._user(self.users.get(record.key))

    def known_roles(self) -> list[str] | None:
        """Return the role names the roles table holds; None when any name goes."""
        if not self.settings.role_relation:
            return None
        names = (role[self.settings.role_name] for role in self._role_table().find())
        return sorted(names)

    # Reading.

    def _record(self, login: Any) -> Record | None:
        if not isinstance(login, str):
            return None
        name, column = normalize_login(login), self.settings.login

        try:
            found = self.users.find(**{column: name}).limit(_CANDIDATES).all()
        except QueryError:
            return None
        # NOTE: MariaDB's collations call "ána" and "ana" equal; the login
        # must be the same code points on every engine.
        return next((record for record in found if record[column] == name), None)

    def _existing(self, login: str) -> Record:
        record = self._record(login)
        if record is None:
            raise AuthError(
                f"There is no user with the login {login!r}; check the spelling, "
                f"or add the user with: python -m fw users add {login}"
            )
        return record

    def _user(self, record: Record) -> User:
        settings = self.settings
        fields = {name: record[name] for name in settings.fields}
        return User(
            key=record.key,
            login=record[settings.login],
            fields=MappingProxyType(fields),
            roles=frozenset(self._roles_of(record)),
        )

    def _roles_of(self, record: Record) -> Iterable[str]:
        if self.settings.role_field:
            return split_roles(record[self.settings.role_field] or "")
        if not self.settings.role_relation:
            return ()
        related = record.related(self.settings.role_relation)
        return (role[self.settings.role_name] for role in related)

    def _role_table(self) -> TableRecords:
        table = self.records.schema.table(self.settings.table)
        return self.records.table(table.relation(self.settings.role_relation).to)

    # Checking what is asked.

    def _new_login(self, login: str) -> str:
        name = normalize_login(login) if isinstance(login, str) else ""
        if not name:
            raise AuthError("A login must hold at least one visible character.")
        if self._record(name) is not None:
            raise AuthError(
                f"A user with the login {name!r} exists already; choose another "
                "login, or change that user with 'users passwd' or 'users roles'."
            )
        return name

    def _hash(self, password: str) -> str:
        if not isinstance(password, str) or not password:
            raise AuthError("A password cannot be empty; give at least one character.")

        settings = self.settings
        return hash_password(
            password,
            algorithm=settings.algorithm,
            params=settings.params,
            max_length=settings.max_length,
        )

    def _checked_roles(self, roles: Iterable[str]) -> list[str]:
        if isinstance(roles, str):
            roles = split_roles(roles)
        wanted = sorted({name.strip() for name in roles if name.strip()})
        if self.settings.role_field:
            return _checked_role_names(wanted)
        if not self.settings.role_relation:
            return _no_roles(wanted, self.settings.table)

        known = self.known_roles() or []
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise AuthError(
                f"The role(s) {', '.join(unknown)} do not exist; the roles are "
                f"{', '.join(known) or 'none yet'}. Add a role as a row of "
                f"{self._role_table().table.name}."
            )
        return wanted

    def _extra_fields(self, fields: Mapping[str, Any] | None) -> dict[str, Any]:
        fields = dict(fields or {})
        settings = self.settings
        reserved = {settings.login, settings.password, settings.role_field}
        clash = sorted(reserved.intersection(fields))
        if clash:
            raise AuthError(
                f"The field(s) {', '.join(clash)} are set from the login, password "
                "and roles given; leave them out of the other fields."
            )
        return fields

    # Writing.

    def _with_role_field(self, values: dict[str, Any], roles: list[str]) -> dict:
        if self.settings.role_field:
            values[self.settings.role_field] = ",".join(roles)
        return values

    def _link_roles(self, record: Record, names: Iterable[str]) -> None:
        if self.settings.role_field or not self.settings.role_relation:
            return
        relation, roles = self.settings.role_relation, self._role_table()
        for role in roles.find(**{f"{self.settings.role_name}__in": list(names)}):
            self.users.link(record, relation, role)

    def _replace_links(self, record: Record, wanted: list[str]) -> None:
        relation = self.settings.role_relation
        current = {
            role[self.settings.role_name]: role for role in record.related(relation)
        }
        for name, role in current.items():
            if name not in wanted:
                self.users.unlink(record, relation, role)
        self._link_roles(record, [name for name in wanted if name not in current])

    def _rehash_if_needed(self, record: Record, stored: str, password: str) -> None:
        settings = self.settings
        if not needs_rehash(stored, settings.algorithm, settings.params):
            return

        self.users.update(record.key, {settings.password: self._hash(password)})
        log.info("Rehashed the password of %s with %s.", record[settings.login],
                 settings.algorithm)


def split_roles(text: str) -> list[str]:
    """Return the role names of a comma-separated list, without blanks."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _checked_role_names(names: list[str]) -> list[str]:
    for name in names:
        if "," in name:
            raise AuthError(
                f"The role name {name!r} holds a comma, which separates roles in "
                "the role field; choose a name without one."
            )
    return names


def _no_roles(names: list[str], table: str) -> list[str]:
    if names:
        raise AuthError(
            f"The users of {table} have no roles (config/auth sets 'roles' to "
            f"{{}}), so {', '.join(names)} cannot be given; configure 'roles'."
        )
    return names


def _listed(names: Iterable[str]) -> str:
    return ", ".join(names) or "(none)"


# Checking the settings.


def _fail(message: str, origin: str | None) -> ConfigError:
    return ConfigError(message, origin=origin)


def _check_keys(data: Any, origin: str | None) -> None:
    if not isinstance(data, Mapping):
        raise _fail("The auth settings must be a table of keys.", origin)
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise _fail(
            f"The auth settings have the unknown key(s) {', '.join(unknown)}; the "
            f"keys are {', '.join(_KEYS)}.",
            origin,
        )


def _table(schema: Schema, name: Any, origin: str | None) -> Table:
    try:
        return schema.table(name)
    except (KeyError, TypeError):
        raise _fail(
            f"The users table {name!r} is not described; describe it in "
            f"schema/{name}.* or set 'table' to one of "
            f"{', '.join(sorted(schema.tables)) or 'the described tables'}.",
            origin,
        ) from None


def _text_field(table: Table, name: Any, key: str, origin: str | None) -> str:
    if not isinstance(name, str) or not table.has_field(name):
        raise _fail(
            f"The '{key}' field {name!r} is not a field of {table.name}; its "
            f"fields are {', '.join(table.field_names)}.",
            origin,
        )
    if table.field(name).type != "text":
        raise _fail(
            f"The '{key}' field {table.name}.{name} is {table.field(name).type}; "
            "it must be a text field.",
            origin,
        )
    return name


def _check_password_field(
    table: Table, name: Any, needed: int, origin: str | None
) -> None:
    length = table.field(_text_field(table, name, "password", origin)).length
    if length is not None and length < needed:
        raise _fail(
            f"The password field {table.name}.{name} holds {length} characters, "
            f"and the configured hashes take {needed}; give it a length of at "
            "least that (255 leaves room), or no length.",
            origin,
        )


def _returned_fields(
    table: Table, names: Any, password: str, origin: str | None
) -> tuple[str, ...]:
    if names is None:
        names = [n for n in Settings.fields if table.has_field(n)]
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise _fail(
            "'fields' must be a list of field names of the users table.", origin
        )

    readable = set(table.field_names) | set(table.computed)
    for name in names:
        if name == password:
            raise _fail(
                f"'fields' names the password field {name}; a user never carries "
                "the password hash, so remove it from the list.",
                origin,
            )
        if name not in readable:
            raise _fail(
                f"'fields' names {name!r}, which {table.name} does not have; its "
                f"fields are {', '.join(sorted(readable))}.",
                origin,
            )
    return tuple(names)


def _default_roles(table: Table) -> dict[str, str]:
    has_roles = any(relation.name == "roles" for relation in table.relations)
    return {"relation": "roles"} if has_roles else {}


def _roles(schema: Schema, table: Table, spec: Any, origin: str | None) -> dict:
    if spec is None or spec == {}:
        return {"role_relation": None, "role_field": None}
    if not isinstance(spec, Mapping) or ("field" in spec) == ("relation" in spec):
        raise _fail(
            "'roles' must be {\"relation\": NAME, \"name\": FIELD} (a many-to-many "
            "relation of the users table) or {\"field\": NAME} (a text field), "
            "or {} for users without roles.",
            origin,
        )
    if "field" in spec:
        name = _text_field(table, spec["field"], "roles", origin)
        return {"role_relation": None, "role_field": name}
    return _role_relation(schema, table, spec, origin)


def _role_relation(schema: Schema, table: Table, spec: Mapping, origin: Any) -> dict:
    name, field_name = spec["relation"], spec.get("name", Settings.role_name)
    try:
        relation = table.relation(name)
    except KeyError:
        known = ", ".join(r.name for r in table.relations) or "none"
        raise _fail(
            f"The roles relation {name!r} is not a relation of {table.name}; its "
            f"relations are {known}. Describe it under 'relations' in the table.",
            origin,
        ) from None
    _text_field(schema.table(relation.to), field_name, "roles name", origin)
    return {"role_relation": name, "role_name": field_name, "role_field": None}


def _max_length(value: Any, origin: str | None) -> int:
    if type(value) is not int or value < 1:
        raise _fail(
            f"'max_length' is {value!r}; it must be a whole number of characters, "
            f"1 or more (the default is {MAX_LENGTH}).",
            origin,
        )
    return value
