"""Write configuration files atomically, in the formats that can be written.

JSON, INI and XML can be written; TOML cannot (the standard library has no
TOML writer) and YAML needs an adapter. What is written reads back as the
same data. A reader never sees a half-written file: the text goes to a
hidden temporary file in the same folder, which then takes the final name.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError

logger = logging.getLogger(__name__)

# NOTE: where hard links are not supported, write_new falls back to creating
# the file itself with O_EXCL: still never overwritten, but briefly partial.
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV}


def serialize(path: str | Path, data: dict[str, Any]) -> str:
    """Return the text of `data` in the format of `path`'s extension."""
    path = Path(path)
    writer = _WRITERS.get(path.suffix.lower())
    if writer is None:
        raise ConfigError(
            f"Configuration cannot be written as {path.suffix or 'a file without an'} "
            f"extension. Write {', '.join(sorted(_WRITERS))} instead (the standard "
            "library has no TOML or YAML writer).",
            origin=str(path),
        )

    if not isinstance(data, dict):
        raise ConfigError(
            f"The data to write is a {type(data).__name__}, but a configuration "
            "file holds a map of keys. Pass a dict.",
            origin=str(path),
        )

    if not isinstance(data.get("extends", False), bool):
        raise ConfigError(
            f"The reserved key 'extends' is {data['extends']!r}, but it must be true "
            "or false. Fix the value before writing.",
            origin=str(path),
        )

    return writer(data, origin=str(path))


def write_file(path: str | Path, data: dict[str, Any]) -> None:
    """Write `data` to `path` atomically, replacing any file already there."""
    path = Path(path)
    payload = serialize(path, data).encode("utf-8")

    with _writing(path):
        temp = _write_temp(path, payload)
        try:
            _keep_mode(path, temp)
            os.replace(temp, path)
        except BaseException:
            _unlink(temp)
            raise
        _sync_folder(path.parent)

    logger.debug("Wrote configuration file %s", path)


def write_new(path: str | Path, data: dict[str, Any]) -> bool:
    """Create `path` with `data` only if it does not exist; say if this call did.

    When several processes race, exactly one creates the file, complete, and
    the others return False without touching it.
    """
    path = Path(path)
    payload = serialize(path, data).encode("utf-8")

    with _writing(path):
        temp = _write_temp(path, payload)
        try:
            created = _link(temp, path, payload)
        finally:
            _unlink(temp)
        if created:
            _sync_folder(path.parent)

    logger.debug("Configuration file %s %s", path, "created" if created else "exists")
    return created


def _link(temp: Path, path: Path, payload: bytes) -> bool:
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
        return _create_exclusive(path, payload)
    return True


def _create_exclusive(path: Path, payload: bytes) -> bool:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False

    with os.fdopen(descriptor, "wb") as stream:
        _fill(stream, payload)
    return True


def _write_temp(path: Path, payload: bytes) -> Path:
    temp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)

    try:
        with os.fdopen(descriptor, "wb") as stream:
            _fill(stream, payload)
    except BaseException:
        _unlink(temp)
        raise

    return temp


def _fill(stream: Any, payload: bytes) -> None:
    stream.write(payload)
    stream.flush()
    os.fsync(stream.fileno())


def _keep_mode(path: Path, temp: Path) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    os.chmod(temp, mode)


def _sync_folder(folder: Path) -> None:
    # PERF: one fsync of the folder makes the new name itself survive a crash.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn operating-system failures while writing into a ConfigError."""
    try:
        yield
    except OSError as error:
        raise ConfigError(
            f"The configuration file cannot be written ({error.strerror}). "
            "Check that its folder exists and that the process may write there.",
            origin=str(path),
        ) from None


def _json_text(data: dict[str, Any], *, origin: str) -> str:
    try:
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"The data cannot be written as JSON ({error}). Use text, numbers, "
            "true/false, null, lists and maps only.",
            origin=origin,
        ) from None


def _ini_text(data: dict[str, Any], *, origin: str) -> str:
    from .inifiles import write_ini

    return write_ini(data, origin=origin)


def _xml_text(data: dict[str, Any], *, origin: str) -> str:
    from .xmlfiles import write_xml

    return write_xml(data, origin=origin)


# PERF: the INI and XML writers load on use: a request that writes nothing,
# or only JSON, does not import configparser or the XML modules for them.
_WRITERS: dict[str, Callable[..., str]] = {
    ".json": _json_text,
    ".ini": _ini_text,
    ".xml": _xml_text,
}
