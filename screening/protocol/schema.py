"""The review protocol: question, agreed concept definitions and eligibility criteria.

Validated on load so that a typo in a YAML file is caught before it silently changes a ranking.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from screening.protocol.review_forms import Appraisal, ExtractionForm

Framework = Literal["SPICES", "PICO", "PCC", "free"]

FRAMEWORK_ELEMENTS: dict[str, tuple[str, ...]] = {
    "SPICES": ("setting", "perspective", "intervention", "comparison", "evaluation", "method"),
    "PICO": ("population", "intervention", "comparison", "outcome"),
    "PCC": ("population", "concept", "context"),
    "free": (),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Question(_Strict):
    """The research question, optionally broken into the elements of a framework."""

    text: str = Field(min_length=1)
    framework: Framework = "free"
    elements: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _elements_match_framework(self) -> Question:
        allowed = FRAMEWORK_ELEMENTS[self.framework]
        if allowed:
            unknown = sorted(set(self.elements) - set(allowed))
            if unknown:
                raise ValueError(
                    f"elements {unknown} are not part of {self.framework} (expected some of {list(allowed)})"
                )
        return self


class Concept(_Strict):
    """A concept whose definition the review team (and advisory group) agreed."""

    name: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    synonyms: list[str] = Field(default_factory=list)
    required: bool = True


class Criterion(_Strict):
    """An eligibility criterion; its code doubles as the reason recorded with a decision."""

    code: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    text: str = Field(min_length=1)


class Protocol(_Strict):
    title: str = Field(min_length=1)
    question: Question
    concepts: list[Concept] = Field(default_factory=list)
    inclusion: list[Criterion] = Field(default_factory=list)
    exclusion: list[Criterion] = Field(default_factory=list)
    years: tuple[int, int] | None = None
    languages: list[str] = Field(default_factory=list)
    appraisal: Appraisal | None = None  # quality-appraisal checklists (e.g. TAPUPAS)
    extraction: ExtractionForm | None = None  # the data-extraction form for included studies

    @field_validator("years")
    @classmethod
    def _years_ordered(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError(f"years must be [first, last], got {list(value)}")
        return value

    @model_validator(mode="after")
    def _unique_codes_and_names(self) -> Protocol:
        codes = [c.code for c in self.inclusion + self.exclusion]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"criterion codes must be unique, repeated: {dupes}")
        names = [c.name.lower() for c in self.concepts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"concept names must be unique, repeated: {dupes}")
        return self

    @property
    def reason_codes(self) -> list[str]:
        """Codes a reviewer can give as the reason for a decision."""
        return [c.code for c in self.inclusion + self.exclusion]

    def reason_codes_for(self, decision: str) -> list[str]:
        """The codes that fit ``decision``: inclusion criteria for an include, exclusion criteria for an
        exclude, either for a maybe (it may turn on any criterion)."""
        if decision == "include":
            return [c.code for c in self.inclusion]
        if decision == "exclude":
            return [c.code for c in self.exclusion]
        return self.reason_codes

    def misfit_reasons(self, decision: str, reasons: list[str]) -> str | None:
        """Why ``reasons`` do not fit ``decision`` (one sentence), or None when they do."""
        fitting = self.reason_codes_for(decision)
        wrong = [code for code in reasons if code in self.reason_codes and code not in fitting]
        if not wrong:
            return None
        kind = "inclusion" if decision == "include" else "exclusion"
        return (f"{', '.join(wrong)} {'does' if len(wrong) == 1 else 'do'} not fit an {decision}: an {decision} "
                f"takes {kind} criteria ({', '.join(fitting) or 'none in this protocol'}).")

    def concept(self, name: str) -> Concept:
        for concept in self.concepts:
            if concept.name.lower() == name.lower():
                return concept
        raise KeyError(name)
