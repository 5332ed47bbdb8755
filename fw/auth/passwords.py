"""Password hashes that carry their algorithm and parameters.

A hash reads ``algorithm$parameters$salt$key``, with the salt and the
derived key in base64::

    scrypt$n=16384,r=8,p=1$<salt>$<key>
    pbkdf2_sha256$i=600000$<salt>$<key>

so a hash made under older settings still verifies after the configuration
changes, and ``needs_rehash`` tells when it should be made again. Passwords
are put in Unicode normal form NFC before hashing, so the same characters
typed on different systems give the same hash. A password longer than the
length limit is never hashed: setting it is refused, and verifying it is
simply false, so a huge password costs nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Mapping
from typing import Any

from ..exceptions import AuthError, ConfigError

__all__ = [
    "ALGORITHMS",
    "AuthError",
    "DEFAULTS",
    "MAX_LENGTH",
    "check_params",
    "dummy_hash",
    "hash_length",
    "hash_password",
    "is_well_formed",
    "needs_rehash",
    "verify_password",
]

DEFAULTS: dict[str, dict[str, int]] = {
    "scrypt": {"n": 16384, "r": 8, "p": 1},
    "pbkdf2_sha256": {"i": 600_000},
}
ALGORITHMS = tuple(DEFAULTS)
MAX_LENGTH = 1024

# NOTE: the parameters of a stored hash are read back and obeyed, so they are
# bounded: a damaged row must not make one login take minutes or gigabytes.
_LIMITS: dict[str, dict[str, tuple[int, int]]] = {
    "scrypt": {"n": (2, 2**20), "r": (1, 32), "p": (1, 16)},
    "pbkdf2_sha256": {"i": (1, 10_000_000)},
}
_SCRYPT_MEMORY = 2**30
_SALT_BYTES = 16
_KEY_BYTES = {"scrypt": 64, "pbkdf2_sha256": 32}


def hash_password(
    password: str,
    *,
    algorithm: str = "scrypt",
    params: Mapping[str, Any] | None = None,
    max_length: int = MAX_LENGTH,
) -> str:
    """Return a new salted hash of ``password`` that names its algorithm."""
    wanted = check_params(algorithm, params)
    if not isinstance(password, str) or len(password) > max_length:
        raise AuthError(
            f"A password must be text of at most {max_length} characters; "
            "choose a shorter one."
        )

    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(algorithm, wanted, _encoded(password), salt)
    return _format(algorithm, wanted, salt, key)


def verify_password(
    password: str, stored: str | None, *, max_length: int = MAX_LENGTH
) -> bool:
    """Say whether ``password`` matches a stored hash; False for anything odd."""
    parsed = _parse(stored)
    if parsed is None or not isinstance(password, str) or len(password) > max_length:
        return False
    # NOTE: scrypt and PBKDF2 pad the key with NULs, so "demo\0" would match.
    if "\x00" in password:
        return False

    algorithm, params, salt, key = parsed
    derived = _derive(algorithm, params, _encoded(password), salt, length=len(key))
    return hmac.compare_digest(derived, key)


def needs_rehash(
    stored: str | None, algorithm: str, params: Mapping[str, Any] | None = None
) -> bool:
    """Say whether a stored hash differs from what the configuration asks now."""
    wanted = check_params(algorithm, params)
    parsed = _parse(stored)
    if parsed is None:
        return True

    used, used_params, _, key = parsed
    return (used, used_params, len(key)) != (algorithm, wanted, _KEY_BYTES[algorithm])


def is_well_formed(stored: Any) -> bool:
    """Say whether ``stored`` reads as a hash this module can verify."""
    return _parse(stored) is not None


def dummy_hash(algorithm: str, params: Mapping[str, Any] | None = None) -> str:
    """Return a random hash no password matches, costing what a real one costs.

    Verifying against it takes the work of the configured algorithm, which
    is what a login for a missing user must spend to look like any other.
    """
    wanted = check_params(algorithm, params)
    salt = secrets.token_bytes(_SALT_BYTES)
    return _format(algorithm, wanted, salt, secrets.token_bytes(_KEY_BYTES[algorithm]))


def hash_length(algorithm: str, params: Mapping[str, Any] | None = None) -> int:
    """Return how many characters a hash of the algorithm and parameters takes."""
    wanted = check_params(algorithm, params)
    key = bytes(_KEY_BYTES[algorithm])
    return len(_format(algorithm, wanted, bytes(_SALT_BYTES), key))


def check_params(
    algorithm: str,
    params: Mapping[str, Any] | None = None,
    *,
    origin: str | None = None,
) -> dict[str, int]:
    """Return the algorithm's parameters, defaults filled in; ConfigError if wrong."""
    if not isinstance(algorithm, str) or algorithm not in DEFAULTS:
        raise ConfigError(
            f"The password algorithm {algorithm!r} is unknown; the known ones "
            f"are {', '.join(ALGORITHMS)}.",
            origin=origin,
        )
    if params is not None and not isinstance(params, Mapping):
        raise ConfigError(
            f"The parameters of {algorithm} must be a table of names and whole "
            f"numbers, such as {_params_text(DEFAULTS[algorithm])}.",
            origin=origin,
        )

    merged = {**DEFAULTS[algorithm], **(params or {})}
    for name, value in merged.items():
        _check_param(algorithm, name, value, origin)
    if algorithm == "scrypt":
        _check_scrypt(merged, origin)
    return {name: merged[name] for name in DEFAULTS[algorithm]}


def _check_param(algorithm: str, name: str, value: Any, origin: str | None) -> None:
    limits = _LIMITS[algorithm]
    if name not in limits:
        raise ConfigError(
            f"The {algorithm} parameter {name!r} is unknown; its parameters are "
            f"{', '.join(limits)}.",
            origin=origin,
        )
    low, high = limits[name]
    if type(value) is not int or not low <= value <= high:
        raise ConfigError(
            f"The {algorithm} parameter {name} is {value!r}; it must be a whole "
            f"number from {low} to {high}.",
            origin=origin,
        )


def _check_scrypt(params: Mapping[str, int], origin: str | None) -> None:
    n, r, p = params["n"], params["r"], params["p"]
    if n & (n - 1):
        raise ConfigError(
            f"The scrypt parameter n is {n}; it must be a power of two, such as "
            "16384.",
            origin=origin,
        )
    if _scrypt_memory(n, r, p) > _SCRYPT_MEMORY:
        raise ConfigError(
            f"The scrypt parameters n={n}, r={r}, p={p} need more than "
            f"{_SCRYPT_MEMORY // 2**20} MiB of memory per login; lower n or r.",
            origin=origin,
        )


def _scrypt_memory(n: int, r: int, p: int) -> int:
    # PERF: what OpenSSL allocates (its V and B blocks), plus room to spare,
    # so maxmem never refuses parameters this module accepted.
    return 128 * r * (n + p + 2) + 2**20


def _derive(
    algorithm: str,
    params: Mapping[str, int],
    password: bytes,
    salt: bytes,
    *,
    length: int | None = None,
) -> bytes:
    size = length or _KEY_BYTES[algorithm]
    if algorithm == "scrypt":
        n, r, p = params["n"], params["r"], params["p"]
        return hashlib.scrypt(
            password, salt=salt, n=n, r=r, p=p,
            maxmem=_scrypt_memory(n, r, p), dklen=size,
        )
    return hashlib.pbkdf2_hmac("sha256", password, salt, params["i"], size)


def _encoded(password: str) -> bytes:
    return unicodedata.normalize("NFC", password).encode("utf-8", "surrogatepass")


def _format(algorithm: str, params: Mapping[str, int], salt: bytes, key: bytes) -> str:
    parts = (algorithm, _params_text(params), _b64(salt), _b64(key))
    return "$".join(parts)


def _params_text(params: Mapping[str, int]) -> str:
    return ",".join(f"{name}={value}" for name, value in params.items())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _parse(stored: Any) -> tuple[str, dict[str, int], bytes, bytes] | None:
    """Return (algorithm, parameters, salt, key) of a stored hash, or None."""
    if not isinstance(stored, str) or stored.count("$") != 3:
        return None

    algorithm, text, salt, key = stored.split("$")
    params = _parse_params(algorithm, text)
    salt_bytes, key_bytes = _unb64(salt), _unb64(key)
    if params is None or not salt_bytes or not key_bytes or len(key_bytes) > 1024:
        return None
    return algorithm, params, salt_bytes, key_bytes


def _parse_params(algorithm: str, text: str) -> dict[str, int] | None:
    if algorithm not in DEFAULTS:
        return None
    pairs = [item.partition("=") for item in text.split(",")]
    params = {
        name: int(value)
        for name, sign, value in pairs
        if sign and value.isascii() and value.isdigit() and len(value) < 12
    }
    if len(params) != len(pairs) or list(params) != list(DEFAULTS[algorithm]):
        return None
    try:
        return check_params(algorithm, params)
    except ConfigError:
        return None


def _unb64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None
