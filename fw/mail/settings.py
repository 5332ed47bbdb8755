"""Read the mail settings from configuration ``mail``, checked once.

The settings come through the layer cascade like any configuration, so a
staging environment and production each say their own server and their own
developers. ``password`` may be written ``${MAIL_PASSWORD}`` to keep the
secret in the environment (see docs/configuration.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..exceptions import ConfigError
from .errors import MailError
from .message import check_address

TLS_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
KNOWN_KEYS = frozenset(
    "host port tls login password sender timeout developers digest_minutes".split()
)


class Configuration(Protocol):
    """What the settings need of fw.config.Configuration."""

    def load(self, name: str) -> dict[str, Any]:
        """Return the merged data of ``config/<name>``."""

    def explain(self, name: str) -> list[Any]:
        """Return where each value came from."""


@dataclass(frozen=True)
class MailSettings:
    """Say how to reach the mail server and who receives the error reports."""

    host: str = "localhost"
    port: int = 25
    tls: str = "none"
    login: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    sender: str = "fw@localhost"
    timeout: float = 10.0
    developers: tuple[str, ...] = ()
    digest_minutes: int = 15

    def replace(self, **changes: Any) -> MailSettings:
        """Return a copy with some values changed (``host``, ``port`` ...)."""
        return dataclasses.replace(self, **changes)


class _BadValue(ValueError):
    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


def load_settings(config: Configuration) -> MailSettings:
    """Return the settings of ``config/mail``; raise ConfigError naming the place."""
    try:
        return _parse(config.load("mail"))
    except _BadValue as error:
        path, line = _place(config, error.key)
        raise ConfigError(str(error), origin=path, line=line) from None


def parse_settings(
    data: Mapping[str, Any], *, origin: str = "config/mail"
) -> MailSettings:
    """Return MailSettings from the data of a ``mail`` configuration."""
    try:
        return _parse(data)
    except _BadValue as error:
        raise ConfigError(str(error), origin=origin) from None


def _parse(data: Mapping[str, Any]) -> MailSettings:
    unknown = sorted(set(data) - KNOWN_KEYS - {"extends"})
    if unknown:
        raise _BadValue(
            unknown[0],
            f"The mail setting {unknown[0]!r} is unknown. The known settings are "
            f"{', '.join(sorted(KNOWN_KEYS))}; check the spelling.",
        )

    tls = _tls(data.get("tls", "none"))
    login = _optional_text(data, "login")
    password = _optional_text(data, "password")
    if password and not login:
        raise _BadValue("password", _PASSWORD_WITHOUT_LOGIN)

    return MailSettings(
        host=_text(data, "host", "localhost"),
        port=_number(data, "port", DEFAULT_PORTS[tls], int, 1, 65535),
        tls=tls,
        login=login,
        password=password,
        sender=_address(data.get("sender", "fw@localhost"), "sender"),
        timeout=_number(data, "timeout", 10.0, float, 0.1, 3600),
        developers=_developers(data.get("developers", ())),
        digest_minutes=_number(data, "digest_minutes", 15, int, 1, 7 * 24 * 60),
    )


_PASSWORD_WITHOUT_LOGIN = (
    "The mail settings give a password but no login. Add mail.login, or remove "
    "mail.password when the server needs no authentication."
)


def _tls(value: Any) -> str:
    mode = str(value).strip().lower()
    if mode not in TLS_MODES:
        raise _BadValue(
            "tls",
            f"The mail setting 'tls' is {value!r}, which is not a TLS mode. "
            'Write one of "none", "starttls" or "ssl".',
        )
    return mode


def _text(data: Mapping[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise _BadValue(
            key, f"The mail setting {key!r} is {value!r}; it must be non-empty text."
        )
    return value.strip()


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _BadValue(key, f"The mail setting {key!r} is {value!r}; it must be text.")
    return value


def _number(
    data: Mapping[str, Any], key: str, default: Any, kind: type, low: float, high: float
) -> Any:
    value = data.get(key, default)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not low <= number <= high:
        raise _BadValue(
            key,
            f"The mail setting {key!r} is {value!r}; it must be a number from "
            f"{low:g} to {high:g}.",
        )
    return number


def _address(value: Any, key: str) -> str:
    try:
        return check_address(str(value))
    except MailError as error:
        raise _BadValue(key, f"The mail setting {key!r}: {error}") from None


def _developers(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)):
        raise _BadValue(
            "developers",
            f"The mail setting 'developers' is {value!r}; give a list of addresses "
            "or one text with addresses separated by commas.",
        )
    return tuple(_address(item, "developers") for item in value)


def _place(config: Configuration, key: str) -> tuple[str, int | None]:
    for origin in config.explain("mail"):
        if origin.key and origin.key[0] == key:
            return str(origin.path), origin.line
    return "config/mail", None
