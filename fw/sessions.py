"""Sessions: a visitor's values kept in the application's database between requests.

The browser holds only an opaque random id in the cookie ``fw_session``;
the table ``fw_sessions`` (described in fw's own layer) holds the SHA-256
of that id, the values as JSON and the expiry. Every process and server
that shares the database shares the sessions. An id the server did not
issue, a malformed one and an expired one all give a fresh, empty session,
and a visitor who stores nothing gets no row and no cookie. See
docs/sessions.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .csrf import KEY as CSRF_KEY

if TYPE_CHECKING:
    from .db.schema import Field
    from .db.connection import Database
    from .response import Response

log = logging.getLogger(__name__)

COOKIE = "fw_session"
TABLE = "fw_sessions"
LIFETIME = timedelta(days=14)
TOUCH_INTERVAL = timedelta(minutes=1)
CLEANUP_EVERY = 100

# NOTE: secrets.token_urlsafe(32) always gives 43 characters of this alphabet,
# so anything else was never issued and is refused before the database is asked.
_ID = re.compile(r"[A-Za-z0-9_-]{43}")


def utc_now() -> datetime:
    """Return the current time in UTC, without a time zone, as the table keeps it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def cookie_header_options(
    production: bool, lifetime: timedelta = LIFETIME
) -> dict[str, Any]:
    """Return the keyword arguments of Response.set_cookie for the session cookie."""
    return {
        "max_age": int(lifetime.total_seconds()),
        "path": "/",
        "secure": production,
        "http_only": True,
        "same_site": "Lax",
    }


class Session(MutableMapping[str, Any]):
    """Hold one visitor's values between requests: JSON values under text keys.

    ``id`` is the opaque id the cookie carries, None while the store holds
    no row for the session; ``modified`` says whether the values changed
    since they were loaded or saved, nested changes included.
    """

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = {}
        self.id: str | None = None
        self.expires: datetime | None = None
        self.updated: datetime | None = None
        self.has_cookie = False
        self._snapshot = _EMPTY
        self._changed = False
        if data:
            self.update(data)

    @property
    def is_new(self) -> bool:
        """Say whether the store holds no row for this session yet."""
        return self.id is None

    @property
    def is_blank(self) -> bool:
        """Say whether saving would do nothing: empty, not stored, no cookie."""
        return not self._data and self.id is None and not self.has_cookie

    @property
    def modified(self) -> bool:
        """Say whether the values differ from the ones last loaded or saved."""
        return self._changed or _serialized(self._data) != self._snapshot

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        _check_value(key, value)

        self._data[key] = value
        self._changed = True

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._changed = True

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        state = "new" if self.is_new else "stored"
        return f"<Session {state} keys={sorted(self._data)}>"

    def _mark_stored(self, expires: datetime, updated: datetime) -> None:
        self.expires = expires
        self.updated = updated
        self._snapshot = _serialized(self._data)
        self._changed = False


class SessionStore:
    """Load and save sessions in one table of a Database.

    A store is cheap: make one per request around the thread's Database.
    ``clock`` returns the current time (UTC); tests pass their own.
    ``cleanup_every`` runs ``cleanup`` on about one save in that many, so
    no scheduled job is needed (0 never does).
    """

    def __init__(
        self,
        database: Database,
        *,
        lifetime: timedelta = LIFETIME,
        table: str = TABLE,
        clock: Callable[[], datetime] = utc_now,
        cleanup_every: int = CLEANUP_EVERY,
    ) -> None:
        self.database = database
        self.lifetime = lifetime
        self.table = table
        self.clock = clock
        self.cleanup_every = cleanup_every
        self._sql = _statements(database.dialect, table)
        self._data_column, self._time_column = _columns()

    def now(self) -> datetime:
        """Return the clock's time as naive UTC, to the second."""
        moment = self.clock()
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        return moment.replace(microsecond=0)

    def load(self, raw: str | None) -> Session:
        """Return the session a cookie value names, or a fresh one.

        A missing, malformed, unknown or expired id gives an empty session
        that is not stored; nothing is created for an id fw did not issue.
        """
        session = self._read(raw) if raw and _ID.fullmatch(raw) else None
        if session is None:
            session = Session()
            session.has_cookie = bool(raw)
        return session

    def save(self, session: Session) -> str | None:
        """Write the session if needed; return the cookie value to set, or None.

        An empty session keeps or leaves no row, and gives "" (clear the
        cookie) when the browser holds one. A changed session is written;
        an unchanged one only extends its expiry, at most once a minute.
        """
        if not session:
            return self._forget(session)

        self._maybe_cleanup()
        if session.id is None:
            return self._insert(session)
        if session.modified or self._due(session):
            return self._update(session)
        return None

    def rotate(self, session: Session) -> None:
        """Give the session a new id at its next save, and drop the old row.

        Login and logout call it, so an id known before cannot follow the
        visitor across; the CSRF token goes too, for the same reason.
        """
        if session.id is not None:
            self._delete(session.id)
        session.id = None
        session.pop(CSRF_KEY, None)
        session._changed = True

    def destroy(self, session: Session) -> None:
        """Delete the session's row and empty it; the next save clears the cookie."""
        if session.id is not None:
            self._delete(session.id)
        session.id = None
        session.clear()

    def cleanup(self, now: datetime | None = None) -> int:
        """Delete the sessions expired at ``now`` (default: the clock); count them."""
        moment = now or self.now()

        cursor = self.database.execute(self._sql["cleanup"], (self._time(moment),))
        removed = max(cursor.rowcount or 0, 0)
        log.debug("Removed %d expired sessions from %s.", removed, self.table)
        return removed

    def cookie_options(self, production: bool) -> dict[str, Any]:
        """Return the keyword arguments of Response.set_cookie for this store."""
        return cookie_header_options(production, self.lifetime)

    def finish(self, session: Session, response: Response, *, production: bool) -> None:
        """Save the session, then set or clear its cookie on the response."""
        value = self.save(session)
        if value is None:
            return

        options = self.cookie_options(production)
        if not value:
            options["max_age"] = 0
        response.set_cookie(COOKIE, value, **options)

    def _read(self, raw: str) -> Session | None:
        found = self.database.rows(self._sql["select"], (_digest(raw),))
        if not found:
            return None

        data, expires, updated = found[0]
        expires = self._value(self._time_column, expires)
        if expires <= self.now():
            self._delete(raw)
            return None
        updated = self._value(self._time_column, updated)
        return _loaded(raw, self._value(self._data_column, data), expires, updated)

    def _insert(self, session: Session) -> str:
        import secrets

        new_id = secrets.token_urlsafe(32)
        now = self.now()

        self.database.execute(
            self._sql["insert"], (_digest(new_id), *self._row(session, now))
        )
        session.id = new_id
        session.has_cookie = True
        session._mark_stored(now + self.lifetime, now)
        return new_id

    def _update(self, session: Session) -> str:
        now = self.now()

        self.database.execute(
            self._sql["update"], (*self._row(session, now), _digest(session.id))
        )
        session._mark_stored(now + self.lifetime, now)
        return session.id

    def _forget(self, session: Session) -> str | None:
        if session.id is not None:
            self._delete(session.id)
            session.id = None
        had_cookie, session.has_cookie = session.has_cookie, False
        return "" if had_cookie else None

    def _delete(self, raw: str) -> None:
        self.database.execute(self._sql["delete"], (_digest(raw),))

    def _due(self, session: Session) -> bool:
        return session.updated is None or self.now() - session.updated >= TOUCH_INTERVAL

    def _maybe_cleanup(self) -> None:
        if self.cleanup_every > 0 and random.randrange(self.cleanup_every) == 0:
            self.cleanup()

    def _row(self, session: Session, now: datetime) -> tuple[Any, Any, Any]:
        dialect = self.database.dialect
        return (
            dialect.to_db(self._data_column, dict(session)),
            self._time(now + self.lifetime),
            self._time(now),
        )

    def _time(self, moment: datetime) -> Any:
        return self.database.dialect.to_db(self._time_column, moment)

    def _value(self, column: Field, value: Any) -> Any:
        return self.database.dialect.from_db(column, value)


@lru_cache(maxsize=None)
def _columns() -> tuple[Field, Field]:
    """Return the columns whose values the dialect converts: data and a time.

    PERF: fw.db.schema is imported here, not with the module, so that a
    request that never opens its session does not load it.
    """
    from .db.schema import Field

    return (
        Field("data", "json", required=True),
        Field("expires", "datetime", required=True),
    )


@lru_cache(maxsize=64)
def _statements(dialect: Any, table: str) -> dict[str, str]:
    """Return the store's statements, every name quoted for the engine."""
    names = (table, "id", "data", "expires", "updated")
    t, key, data, expires, updated = map(dialect.quote, names)
    return {
        "select": f"SELECT {data}, {expires}, {updated} FROM {t} WHERE {key} = ?",
        "insert": f"INSERT INTO {t} ({key}, {data}, {expires}, {updated}) "
        "VALUES (?, ?, ?, ?)",
        "update": f"UPDATE {t} SET {data} = ?, {expires} = ?, {updated} = ? "
        f"WHERE {key} = ?",
        "delete": f"DELETE FROM {t} WHERE {key} = ?",
        "cleanup": f"DELETE FROM {t} WHERE {expires} <= ?",
    }


def _loaded(
    raw: str, data: Any, expires: datetime, updated: datetime
) -> Session | None:
    if not isinstance(data, dict):
        log.warning("A stored session holds %s, not a JSON object; ignored.",
                    type(data).__name__)
        return None

    session = Session()
    session._data = data
    session.id = raw
    session.has_cookie = True
    session._mark_stored(expires, updated)
    return session


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


_EMPTY = "{}"


def _serialized(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, allow_nan=False, separators=(",", ":"))


def _check_value(key: Any, value: Any) -> None:
    if not isinstance(key, str):
        raise TypeError(
            f"A session key must be text, but {key!r} is a {type(key).__name__}; "
            "use a string key."
        )
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise TypeError(
            f"The session cannot keep the value of {key!r}, a "
            f"{type(value).__name__}: only JSON values (text, numbers, booleans, "
            "None, and lists and dicts of them) survive the request. Convert it "
            "first, for example a date to its ISO text."
        ) from None
