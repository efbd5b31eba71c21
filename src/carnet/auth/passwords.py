"""Password hashes: make carnet's argon2id hashes, check any hash a Jupyter config may hold.

Three stored forms are accepted:

- carnet's own: the standard argon2 PHC string, ``$argon2id$v=19$m=...,t=...,p=...$salt$hash``;
- jupyter_server's: the same string behind an ``argon2:`` prefix;
- IPython's and the classic notebook's: ``algo:salt:hexdigest``, where the digest is
  ``hashlib.new(algo)`` over the UTF-8 passphrase followed by the ASCII salt (``sha1`` in
  practice, any fixed-size hashlib algorithm in principle).

A hash that is not carnet's own, or one made with other argon2 parameters than carnet's
current ones, still verifies, and the result carries a fresh hash to store instead.
Hashing is deliberately slow (tens of milliseconds); callers on an event loop should run
:func:`verify` and :func:`hash_password` in a worker thread.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from carnet.errors import ConfigError

if TYPE_CHECKING:
    import argon2

# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): ~50 ms per login on a small
# server, and a bounded amount of memory per concurrent login attempt. Stored hashes made
# with at least this much memory and time are kept; weaker ones are upgraded.
TIME_COST = 2
MEMORY_COST_KIB = 19456
PARALLELISM = 1
HASH_LEN = 32
SALT_LEN = 16

JUPYTER_ARGON2_PREFIX = "argon2:"
_HEX = frozenset(string.hexdigits)


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a passphrase against a stored hash.

    ``new_hash`` is the hash to store in place of the old one; it is set only when the
    passphrase matched and the stored hash is a legacy form or uses outdated parameters.
    """

    matched: bool
    new_hash: str | None = None

    @property
    def needs_upgrade(self) -> bool:
        """True when the stored hash should be replaced by ``new_hash``."""
        return self.new_hash is not None

    def __bool__(self) -> bool:
        return self.matched


def _hasher() -> argon2.PasswordHasher:
    import argon2

    return argon2.PasswordHasher(
        time_cost=TIME_COST,
        memory_cost=MEMORY_COST_KIB,
        parallelism=PARALLELISM,
        hash_len=HASH_LEN,
        salt_len=SALT_LEN,
        type=argon2.Type.ID,
    )


def hash_password(passphrase: str) -> str:
    """Hash ``passphrase`` into carnet's format (an argon2id PHC string).

    An empty passphrase is refused with :class:`ConfigError`.
    """
    if not passphrase:
        raise ConfigError("refusing an empty password")
    return _hasher().hash(passphrase)


def passwd(
    passphrase: str | None = None,
    *,
    ask: Callable[[str], str] = getpass.getpass,
) -> str:
    """Return carnet's hash of ``passphrase``, asking for it twice when it is None.

    The questions go through ``ask`` (``getpass.getpass`` by default, so nothing is
    echoed). An empty passphrase or two answers that differ raise :class:`ConfigError`.
    """
    if passphrase is None:
        first = ask("Enter password: ")
        if not first:
            raise ConfigError("refusing an empty password")
        second = ask("Verify password: ")
        if not hmac.compare_digest(first.encode(), second.encode()):
            raise ConfigError("the two passwords do not match; nothing was changed")
        passphrase = first
    return hash_password(passphrase)


def hash_scheme(stored: str) -> str:
    """Name the scheme of a stored hash (``argon2id``, ``jupyter-argon2``, ``sha1``, ...).

    Checks only the shape, not a passphrase; raises :class:`ConfigError` when ``stored``
    is not a password hash carnet understands.
    """
    if not isinstance(stored, str) or not stored.strip():
        raise ConfigError("the stored password hash is empty")
    stored = stored.strip()
    if stored.startswith(JUPYTER_ARGON2_PREFIX):
        _argon2_variant(stored[len(JUPYTER_ARGON2_PREFIX) :])
        return "jupyter-argon2"
    if stored.startswith("$"):
        return _argon2_variant(stored)
    algorithm, _salt, _digest = _split_salted(stored)
    return algorithm


def _argon2_variant(phc: str) -> str:
    variant = phc.split("$")[1] if phc.count("$") >= 5 else ""
    if variant not in ("argon2id", "argon2i", "argon2d"):
        raise ConfigError(
            "the stored password hash is not a valid argon2 hash "
            "(expected '$argon2id$v=19$m=...,t=...,p=...$salt$hash')"
        )
    return variant


def _split_salted(stored: str) -> tuple[str, str, str]:
    """Split and check an IPython-style ``algo:salt:hexdigest`` hash."""
    parts = stored.split(":", 2)
    if len(parts) != 3:
        raise ConfigError(
            "the stored password hash is not in a known format "
            "(expected an argon2 hash or 'sha1:salt:hexdigest'; is it a plain password?)"
        )
    algorithm, salt, digest = parts
    try:
        h = hashlib.new(algorithm)
    except (ValueError, TypeError):
        raise ConfigError(
            f"the stored password hash uses an unknown algorithm {algorithm!r}"
        ) from None
    if h.digest_size == 0 or algorithm.lower().startswith("shake"):
        raise ConfigError(f"the stored password hash uses an unusable algorithm {algorithm!r}")
    if not salt.isascii():
        raise ConfigError("the stored password hash has a salt that is not ASCII")
    if len(digest) != 2 * h.digest_size or not set(digest) <= _HEX:
        raise ConfigError(
            f"the stored password hash has a malformed {algorithm} digest "
            f"(expected {2 * h.digest_size} hexadecimal digits)"
        )
    return algorithm, salt, digest.lower()


def verify(stored: str, passphrase: str) -> Verification:
    """Check ``passphrase`` against ``stored`` (any accepted form), in constant time.

    A stored hash that cannot be understood raises :class:`ConfigError`: it is a
    configuration mistake, never a match and never a crash.
    """
    scheme = hash_scheme(stored)
    stored = stored.strip()
    if scheme == "jupyter-argon2":
        matched, outdated = _verify_argon2(stored[len(JUPYTER_ARGON2_PREFIX) :], passphrase)
        outdated = True
    elif scheme.startswith("argon2"):
        matched, outdated = _verify_argon2(stored, passphrase)
    else:
        algorithm, salt, digest = _split_salted(stored)
        h = hashlib.new(algorithm)
        h.update(passphrase.encode("utf-8") + salt.encode("ascii"))
        matched = hmac.compare_digest(h.hexdigest(), digest)
        outdated = True
    if not matched:
        return Verification(matched=False)
    new_hash = hash_password(passphrase) if outdated and passphrase else None
    return Verification(matched=True, new_hash=new_hash)


def _verify_argon2(phc: str, passphrase: str) -> tuple[bool, bool]:
    """(matched, outdated) for an argon2 PHC string; argon2-cffi compares in constant time."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        _hasher().verify(phc, passphrase)
    except VerifyMismatchError:
        return False, False
    except InvalidHashError as exc:
        raise ConfigError("the stored password hash is not a valid argon2 hash") from exc
    except VerificationError as exc:
        # argon2 reports a corrupt hash body (wrong lengths, bad base64) this way.
        raise ConfigError(f"the stored argon2 password hash is damaged: {exc}") from exc
    return True, _weaker_than_ours(phc)


def _weaker_than_ours(phc: str) -> bool:
    """True when a stored argon2 hash costs an attacker less than a fresh one would."""
    import argon2
    from argon2.exceptions import InvalidHashError

    try:
        params = argon2.extract_parameters(phc)
    except (InvalidHashError, ValueError):
        return True
    return (
        params.type is not argon2.Type.ID
        or params.version < argon2.low_level.ARGON2_VERSION
        or params.memory_cost < MEMORY_COST_KIB
        or params.time_cost < TIME_COST
        or params.hash_len < HASH_LEN
        or params.salt_len < SALT_LEN
    )
