"""Password hashes: scrypt with OWASP's current parameters, in a self-describing `scrypt$N$r$p$salt$digest` string.

Because every stored hash names its own parameters, old hashes keep working after the parameters are raised,
and `needs_rehash` tells the sign-in to replace them with the password it has just checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

# OWASP Password Storage Cheat Sheet (Argon2id first; "if Argon2id is not available, use scrypt with a minimum
# CPU/memory cost parameter of (2^17), a minimum block size of 8 (1024 bytes), and a parallelization
# parameter of 1"). scrypt is in the standard library; 128 MiB and about 0.4-1 s per hash on this machine.
OWASP_N, OWASP_R, OWASP_P = 2**17, 8, 1
# Tests only: a smaller N so that suites creating dozens of reviewers do not spend a second per password.
# Only lowers N (never r or p), and only to a power of two; production never sets it.
INSECURE_TEST_N_VARIABLE = "SCREENING_INSECURE_TEST_SCRYPT_N"
# A stored hash asking for more than this is refused rather than allowed to allocate it (1 GiB at r=8).
_MAX_MEMORY = 2**30
_SALT_BYTES, _DIGEST_BYTES = 16, 64


@dataclass(frozen=True)
class ScryptParams:
    n: int
    r: int
    p: int

    @property
    def memory(self) -> int:
        """Bytes scrypt needs (RFC 7914: 128 * r * N for V, 128 * r * p for B, 256 * r for X and Y)."""
        return 128 * self.r * (self.n + self.p + 2)

    def usable(self) -> bool:
        return (self.n > 1 and self.n & (self.n - 1) == 0 and 0 < self.r <= 64 and 0 < self.p <= 16
                and self.memory <= _MAX_MEMORY)

    def dominated_by(self, other: ScryptParams) -> bool:
        """True when `other` is at least as costly in every parameter and differs: then rehash to `other`."""
        return self != other and self.n <= other.n and self.r <= other.r and self.p <= other.p


def current_params() -> ScryptParams:
    """The parameters new hashes get: OWASP's, unless a test lowered N through the test-only variable."""
    requested = os.environ.get(INSECURE_TEST_N_VARIABLE, "")
    if requested.isdigit():
        test = ScryptParams(int(requested), OWASP_R, OWASP_P)
        if test.usable() and test.n < OWASP_N:
            return test
    return ScryptParams(OWASP_N, OWASP_R, OWASP_P)


def _scrypt(password: str, salt: bytes, params: ScryptParams, length: int = _DIGEST_BYTES) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=params.n, r=params.r, p=params.p,
                          maxmem=params.memory + 2**20, dklen=length)


def _encode(params: ScryptParams, salt: bytes, digest: bytes) -> str:
    encode = base64.b64encode
    return f"scrypt${params.n}${params.r}${params.p}${encode(salt).decode()}${encode(digest).decode()}"


def hash_password(password: str) -> str:
    """A salted scrypt hash with the current parameters (no strength rules here: see password_policy)."""
    if not password:
        raise ValueError("password must not be empty")
    params, salt = current_params(), secrets.token_bytes(_SALT_BYTES)
    return _encode(params, salt, _scrypt(password, salt, params))


def _parse(stored: str) -> tuple[ScryptParams, bytes, bytes] | None:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        params = ScryptParams(int(n), int(r), int(p))
        decoded = base64.b64decode(salt, validate=True), base64.b64decode(digest, validate=True)
    except ValueError:  # wrong field count, non-numbers, bad base64 (binascii.Error is a ValueError)
        return None
    if scheme != "scrypt" or not params.usable() or not 16 <= len(decoded[1]) <= 1024:
        return None
    return params, *decoded


def check_password(password: str, stored: str | None) -> bool:
    """Does `password` match `stored`? Runs one scrypt in every case: when `stored` is None or malformed it
    checks a random digest with the current parameters, so an unknown name (or a reviewer without a
    password) answers as slowly as a known one and nobody learns which names exist."""
    parsed = _parse(stored) if stored else None
    if parsed is None:
        dummy = current_params(), secrets.token_bytes(_SALT_BYTES), secrets.token_bytes(_DIGEST_BYTES)
        hmac.compare_digest(_scrypt(password, dummy[1], dummy[0]), dummy[2])
        return False
    params, salt, digest = parsed
    return hmac.compare_digest(_scrypt(password, salt, params, len(digest)), digest)


def describe(stored: str) -> str:
    """The parameters of a stored hash, for the audit log (never the salt or digest)."""
    parsed = _parse(stored)
    return f"N={parsed[0].n} r={parsed[0].r} p={parsed[0].p}" if parsed else "unreadable"


def needs_rehash(stored: str) -> bool:
    """True for a well-formed hash whose parameters are weaker than the current ones."""
    parsed = _parse(stored)
    return parsed is not None and parsed[0].dominated_by(current_params())
