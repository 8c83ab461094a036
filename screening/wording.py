"""Counts in words, for messages shown by the app and the CLI."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """"1 duplicate group", "2 duplicate groups" (``plural_form`` for nouns that do not just take an s)."""
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"
