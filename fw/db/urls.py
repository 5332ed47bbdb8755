"""Connection URLs: sqlite:///var/app.db, postgresql://user@host/db, mysql://..."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..exceptions import ConfigError
from ..plain import Plain

SCHEMES = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
DEFAULT_URL = "sqlite:///var/app.db"


class DatabaseURL(Plain):
    """A parsed connection URL; ``path`` is set for SQLite, the rest otherwise."""

    __slots__ = fields = (
        "engine", "path", "user", "password", "host", "port", "database",
    )
    secret = ("password",)

    def __init__(
        self,
        engine: str,
        path: Path | None = None,
        user: str | None = None,
        password: str | None = None,
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
    ) -> None:
        self.engine = engine
        self.path = path
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database

    def redacted(self) -> str:
        """Return the URL without its password, for logs and messages."""
        if self.engine == "sqlite":
            return f"sqlite:///{self.path}"
        user = f"{self.user}@" if self.user else ""
        return f"{self.engine}://{user}{self.host}:{self.port}/{self.database}"


def parse_url(url: str, *, root: Path | None = None) -> DatabaseURL:
    """Parse a connection URL; a relative SQLite path is taken from ``root``.

    ``sqlite:///var/app.db`` is relative to the application root and
    ``sqlite:////srv/app.db`` absolute; ``sqlite:///:memory:`` is memory.
    """
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError(
            f"The database URL {url!r} is not a URL; write for example "
            "sqlite:///var/app.db or postgresql://user@localhost:5432/name."
        )
    parts = urlsplit(url)
    engine = SCHEMES.get(parts.scheme.lower())
    if engine is None:
        raise ConfigError(
            f"The database URL names the engine {parts.scheme!r}; fw knows "
            f"{', '.join(sorted(set(SCHEMES.values())))}."
        )
    if engine == "sqlite":
        return DatabaseURL("sqlite", path=_sqlite_path(url, root))
    return _server_url(engine, parts, url)


def _sqlite_path(url: str, root: Path | None) -> Path:
    rest = url.split("://", 1)[1]
    if not rest.startswith("/") or rest == "/":
        raise ConfigError(
            f"The SQLite URL {url!r} needs three slashes and a file: "
            "sqlite:///var/app.db (relative) or sqlite:////abs/path.db."
        )
    path = unquote(rest[1:].split("?", 1)[0])
    if path == ":memory:":
        return Path(":memory:")
    if path.startswith("/"):
        return Path(path)
    return (root or Path.cwd()) / path


def _server_url(engine: str, parts, url: str) -> DatabaseURL:
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not database:
        raise ConfigError(
            f"The database URL {_without_password(url)!r} needs a host and a "
            f"database: {engine}://user[:password]@host[:port]/database."
        )
    try:
        port = parts.port or DEFAULT_PORTS[engine]
    except ValueError:
        shown = _without_password(url)
        raise ConfigError(f"The database URL {shown!r} has a bad port.") from None
    return DatabaseURL(
        engine,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname,
        port=port,
        database=database,
    )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)
