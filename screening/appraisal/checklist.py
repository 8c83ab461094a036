"""The checklist a review appraises with (from its protocol), and checking a set of scores against it."""

from __future__ import annotations

from collections.abc import Mapping

from screening.protocol.review_forms import Checklist
from screening.protocol.schema import Protocol


class AppraisalError(ValueError):
    """Scores that cannot be recorded: an item missing or unknown, a score off its scale, a wrong study."""


def active_checklist(protocol: Protocol | None) -> Checklist:
    if protocol is None or protocol.appraisal is None:
        raise AppraisalError("the protocol defines no appraisal checklist (add an 'appraisal:' section)")
    return protocol.appraisal.active


def scale_text(checklist: Checklist, code: str) -> str:
    return ", ".join(f"{o.score} = {o.label}" for o in checklist.item_scale(checklist.item(code)))


def validated_scores(checklist: Checklist, scores: Mapping[str, object], complete: bool = True) -> dict[str, int]:
    """Item code -> score, every score on its item's scale; with `complete`, every item must be scored."""
    unknown = sorted(set(scores) - {item.code for item in checklist.items})
    if unknown:
        raise AppraisalError(f"{checklist.name}: unknown item(s) {unknown}; the items are "
                             f"{', '.join(i.code for i in checklist.items)}")
    missing = [item.code for item in checklist.items if item.code not in scores]
    if complete and missing:
        raise AppraisalError(f"{checklist.name}: item(s) {', '.join(missing)} not scored; score every item")
    if not scores:
        raise AppraisalError(f"{checklist.name}: no item scored")
    checked: dict[str, int] = {}
    for code, value in scores.items():
        item = checklist.item(code)
        allowed = {o.score for o in checklist.item_scale(item)}
        score = _as_int(value)
        if score is None or score not in allowed:
            raise AppraisalError(f"{checklist.name} item '{code}' ({item.name}): {value!r} is not on its scale "
                                 f"({scale_text(checklist, code)})")
        checked[code] = score
    return checked


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None
