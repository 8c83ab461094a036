"""Reviewer identity: the key that makes "Ann", "ann " and "ＡＮＮ" one reviewer.

Why a key and not the name: a reviewer who signs in as "ann" one day and "Ann" the next must not count
as two people, or one person could satisfy dual screening alone. The key is stored beside the name
(the name is kept as first typed, for display) and carries the unique index.
"""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def display_name(name: str) -> str:
    """The name as it is stored and shown (trimmed, as the app and CLI have always stored it)."""
    return name.strip()


def reviewer_key(name: str) -> str:
    """Unicode compatibility form (NFKC) + case folding, trimmed, inner runs of whitespace as one space.

    NFKC is applied again after casefold because folding can produce characters that NFKC would
    compose (the Unicode "NFKC_Casefold" recipe); full-width and ligature forms compare equal to ASCII.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return _WHITESPACE.sub(" ", folded).strip()
