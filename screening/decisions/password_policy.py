"""Which new passwords are accepted: NIST SP 800-63B-4 (2025) rules for a password that is the only factor.

- at least 15 characters (counted as Unicode code points), at most 256; no composition rules;
- not guessable: zxcvbn's estimate (its lists of common passwords, English words and names, keyboard
  patterns, repeats, sequences, dates, and the reviewer's own name) must reach score 3, about 10^8 guesses.
  That is NIST's "blocklist" check done by a maintained library rather than a hand-kept word list.
Passwords stored before these rules still sign in (and are rehashed); only new ones are checked.
"""

from __future__ import annotations

MIN_LENGTH = 15
MAX_LENGTH = 256
MIN_ZXCVBN_SCORE = 3
# zxcvbn's matching grows quickly with length, so it refuses more than 72 characters: estimate the prefix.
_ESTIMATED_PREFIX = 72

RULE = f"at least {MIN_LENGTH} characters, not a common password or pattern (a few unrelated words work well)"


def password_problem(password: str, context: list[str]) -> str | None:
    """Why `password` is refused (a sentence for the person choosing it), or None when it is acceptable.

    `context` holds words an attacker would try first for this account (the reviewer's name)."""
    if not password:
        return "password must not be empty"
    if len(password) < MIN_LENGTH:
        return f"password must have at least {MIN_LENGTH} characters (this one has {len(password)})"
    if len(password) > MAX_LENGTH:
        return f"password must have at most {MAX_LENGTH} characters (this one has {len(password)})"
    from zxcvbn import zxcvbn

    estimate = zxcvbn(password[:_ESTIMATED_PREFIX], user_inputs=[*context, "screening"])
    if estimate["score"] < MIN_ZXCVBN_SCORE:
        hint = estimate["feedback"]["warning"] or "it is too easy to guess"
        return f"password is too easy to guess: {hint.rstrip('.')}. Use {RULE}"
    return None
