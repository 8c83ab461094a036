"""How records were found: the source types PRISMA 2020 reports, and which column of the flow they feed."""

from __future__ import annotations

from enum import Enum

from screening.store.review_schema import SOURCE_TYPES

DEFAULT_SOURCE_TYPE = "database"
DATABASES_AND_REGISTERS = ("database", "register")
OTHER_METHODS = ("website", "organisation", "citation")


SourceType = Enum("SourceType", {name: name for name in SOURCE_TYPES}, type=str)  # CLI choices


class SourceTypeError(ValueError):
    """A source type that PRISMA 2020 does not know."""


def check_source_type(source_type: str) -> str:
    """The source type, lower-cased; raises SourceTypeError naming the known types."""
    value = (source_type or "").strip().lower()
    if value not in SOURCE_TYPES:
        raise SourceTypeError(f"source type must be one of {', '.join(SOURCE_TYPES)}, got '{source_type}'")
    return value


def flow_column(source_type: str) -> str:
    """'dbr' for databases and registers, 'other' for websites, organisations and citation searching."""
    return "dbr" if source_type in DATABASES_AND_REGISTERS else "other"
