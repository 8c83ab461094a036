"""Checking extracted values against the protocol's extraction form (text, number, choice fields)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from screening.protocol.review_forms import ExtractionField, ExtractionForm
from screening.protocol.schema import Protocol

Value = str | float | int | list[str] | None


class ExtractionError(ValueError):
    """Extracted values that do not fit the form; names the field and what it accepts."""


def extraction_form(protocol: Protocol | None) -> ExtractionForm:
    if protocol is None or protocol.extraction is None:
        raise ExtractionError("the protocol defines no extraction form (add an 'extraction:' section)")
    return protocol.extraction


def _where(field: ExtractionField) -> str:
    return f"field '{field.name}' ({field.label})"


def _number(field: ExtractionField, value: object) -> float | int:
    if isinstance(value, bool):
        raise ExtractionError(f"{_where(field)}: {value!r} is not a number")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ExtractionError(f"{_where(field)}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ExtractionError(f"{_where(field)}: {value!r} is not a finite number")
    if field.minimum is not None and number < field.minimum:
        raise ExtractionError(f"{_where(field)}: {number:g} is below the minimum {field.minimum:g}")
    if field.maximum is not None and number > field.maximum:
        raise ExtractionError(f"{_where(field)}: {number:g} is above the maximum {field.maximum:g}")
    return int(number) if number.is_integer() else number


def _choice(field: ExtractionField, value: object) -> str | list[str]:
    values = value if isinstance(value, list | tuple) else [v.strip() for v in str(value).split(";")]
    values = [str(v).strip() for v in values if str(v).strip()]
    allowed = [o.value for o in field.options]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ExtractionError(f"{_where(field)}: {', '.join(repr(u) for u in unknown)} is not one of its options "
                              f"({', '.join(allowed)})")
    if not field.multiple and len(values) > 1:
        raise ExtractionError(f"{_where(field)}: takes one option, got {len(values)}")
    return values if field.multiple else values[0]


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, list | tuple) and not value)


def validated_values(form: ExtractionForm, values: Mapping[str, object]) -> dict[str, Value]:
    """Field name -> typed value for every field given; required fields must have a value."""
    known = {f.name for f in form.fields}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ExtractionError(f"unknown field(s) {unknown}; the form's fields are {', '.join(sorted(known))}")
    checked: dict[str, Value] = {}
    for field in form.fields:
        value = values.get(field.name)
        if _empty(value):
            if field.required:
                raise ExtractionError(f"{_where(field)}: required, but empty")
            continue
        if field.type == "number":
            checked[field.name] = _number(field, value)
        elif field.type == "choice":
            checked[field.name] = _choice(field, value)
        else:
            if not isinstance(value, str):
                raise ExtractionError(f"{_where(field)}: expects text, got {type(value).__name__} {value!r}")
            if len(value) > field.max_length:
                raise ExtractionError(f"{_where(field)}: {len(value)} characters, more than {field.max_length}")
            checked[field.name] = value.strip()
    return checked


def field_score(field: ExtractionField, value: Value) -> float | None:
    """The score of a scored choice (the highest of several chosen options); None when unscored or empty."""
    if not field.scored or value in (None, "", []):
        return None
    chosen = value if isinstance(value, list) else [value]
    scores = [field.option(str(v)).score for v in chosen]
    scores = [s for s in scores if s is not None]
    return max(scores) if scores else None
