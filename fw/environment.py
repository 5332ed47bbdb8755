"""Facts about where and for whom the application runs.

Each is a plain function of its inputs, so it can be tested without a
server: the environment id from the operating-system user and the
installation path, production from a marker folder, whether a request is
local, and the names a Host header may carry.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

PRODUCTION_MARKER = "production"

_UNSAFE = re.compile(r"[^a-z0-9]+")
_HOST = re.compile(r"^(?:\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?)$")
_FORWARDING = ("HTTP_FORWARDED", "HTTP_X_REAL_IP")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_SECOND_LEVELS = frozenset({"ac", "co", "com", "edu", "gov", "net", "org", "ne", "or"})


def operating_system_user() -> str:
    """Return the name of the user running the process, or its numeric id.

    The same answer as getpass.getuser(): the login variables first, then
    the password database. PERF: getpass itself imports termios, which a
    CGI process would load on every request for this one name.
    """
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        user = os.environ.get(variable)
        if user:
            return user
    try:
        import pwd

        return pwd.getpwuid(os.getuid())[0]
    except (KeyError, OSError, ImportError, AttributeError):
        return str(os.getuid()) if hasattr(os, "getuid") else "user"


def environment_id(user: str, root: str | os.PathLike) -> str:
    """Return a stable, readable id, safe as a folder name, for user and path.

    The readable part names the user and the last two folders of the path;
    a short hash of the full path keeps two checkouts with the same ending
    apart.
    """
    path = os.path.realpath(root)
    tail = "-".join(Path(path).parts[-2:])
    digest = hashlib.sha256(f"{user}\0{path}".encode()).hexdigest()[:8]
    readable = f"{_slug(user)}--{_slug(tail)}"
    return f"{readable[:80]}--{digest}"


def _slug(text: str) -> str:
    return _UNSAFE.sub("-", text.lower()).strip("-") or "x"


def is_production(root: str | os.PathLike) -> bool:
    """Say whether the application runs in production: its marker folder exists."""
    return os.path.isdir(os.path.join(root, PRODUCTION_MARKER))


def host_name(environ: Mapping[str, str]) -> str | None:
    """Return the request's host name, lowercased and without port, or None if bad."""
    return _host_of(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "")


# PERF: a site sees few distinct Host headers; a flood of made-up ones only
# pushes the oldest out.
@lru_cache(maxsize=1024)
def _host_of(raw: str) -> str | None:
    host, port = _split_port(raw.strip().lower())
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        return None
    host = host.rstrip(".")
    return host if host and _HOST.match(host) and ".." not in host else None


def _split_port(text: str) -> tuple[str, str | None]:
    if text.startswith("["):
        end = text.find("]")
        rest = text[end + 1:] if end > 0 else "?"
        if rest and not rest.startswith(":"):
            return "", None
        return text[: end + 1], rest[1:] if rest else None
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, port
    return text, None


def is_loopback_host(host: str) -> bool:
    """Say whether a host name (without port) names this machine's loopback."""
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    return _is_loopback_address(host.strip("[]"))


def _is_loopback_address(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def is_ip_address(host: str) -> bool:
    """Say whether a host name is a literal IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def base_domain(host: str) -> str:
    """Return the registrable domain of a host: www.shop.example.com -> example.com.

    Loopback names and IP addresses stay as they are. Without the public
    suffix list (not in the standard library) a two-letter country code
    under a common second level (co.uk, com.au) keeps three labels.
    """
    if is_ip_address(host) or "." not in host:
        return host
    if host.endswith(".localhost"):
        return "localhost"
    labels = host.split(".")
    keep = 3 if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVELS else 2
    return ".".join(labels[-keep:])


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """Say whether a host is on a white list of names and ``*.name`` patterns.

    ``*.example.com`` accepts any name below example.com, not example.com
    itself; list both when both are served.
    """
    for pattern in patterns:
        pattern = str(pattern).strip().lower().rstrip(".")
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def client_address(environ: Mapping[str, str], trusted: Iterable[str] = ()) -> str:
    """Return the client's address: the peer, or what a trusted proxy forwarded."""
    peer = environ.get("REMOTE_ADDR", "")
    if not _is_trusted(peer, trusted):
        return peer
    forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.split(",")[-1].strip()
    return last or peer


def is_local_request(environ: Mapping[str, str], trusted: Iterable[str] = ()) -> bool:
    """Say whether a request comes from this machine, for this machine.

    Local means a loopback peer, a loopback Host, and no forwarding header;
    a request forwarded by a trusted proxy is local only when the address
    the proxy forwarded is loopback too.
    """
    host = host_name(environ)
    if host is None or not is_loopback_host(host):
        return False
    peer = environ.get("REMOTE_ADDR", "")
    if _is_trusted(peer, trusted):
        return _is_loopback_address(client_address(environ, trusted))
    return _is_loopback_address(peer) and not _is_forwarded(environ)


def from_trusted_proxy(environ: Mapping[str, str], trusted: Iterable[str]) -> bool:
    """Say whether the request's peer is one of the trusted proxies."""
    return _is_trusted(environ.get("REMOTE_ADDR", ""), trusted)


def _is_forwarded(environ: Mapping[str, str]) -> bool:
    return any(key in environ for key in _FORWARDING) or any(
        key.startswith("HTTP_X_FORWARDED_") for key in environ
    )


def _is_trusted(peer: str, trusted: Iterable[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if address in ipaddress.ip_network(str(entry), strict=False):
                return True
        except ValueError:
            continue
    return False
