"""Protocol parts for the stages after screening: quality-appraisal checklists and the extraction form.

Both live in the protocol YAML so the team agrees on them before appraising or extracting, and a typo
is caught with its line and field like any other protocol problem.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_CODE = r"^[A-Za-z0-9_.-]+$"


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScaleOption(_Form):
    """One point of an ordinal item scale, e.g. 2 = 'yes'."""

    score: int
    label: str = Field(min_length=1)


class ChecklistItem(_Form):
    code: str = Field(min_length=1, pattern=_CODE)
    name: str = Field(min_length=1)
    question: str = Field(min_length=1)
    guidance: str = ""
    scale: list[ScaleOption] | None = None  # default: the checklist's scale


class Checklist(_Form):
    """A quality-appraisal checklist: items on ordinal scales, a total, and an optional exclusion threshold."""

    name: str = Field(min_length=1, pattern=_CODE)
    title: str = ""
    source: str = ""
    scale: list[ScaleOption] | None = None
    items: list[ChecklistItem] = Field(min_length=1)
    exclude_below: int | None = None  # a study whose total is below this is excluded (reason "quality")
    appraisers: int = Field(default=2, ge=1, le=5)

    def item_scale(self, item: ChecklistItem) -> list[ScaleOption]:
        return item.scale or self.scale or []

    def item(self, code: str) -> ChecklistItem:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    @property
    def max_total(self) -> int:
        return sum(max(o.score for o in self.item_scale(i)) for i in self.items)

    @property
    def min_total(self) -> int:
        return sum(min(o.score for o in self.item_scale(i)) for i in self.items)

    @model_validator(mode="after")
    def _consistent(self) -> Checklist:
        codes = [i.code for i in self.items]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"item codes must be unique, repeated: {repeated}")
        for item in self.items:
            scale = self.item_scale(item)
            if not scale:
                raise ValueError(f"item '{item.code}' has no scale (give the checklist or the item a scale)")
            scores = [o.score for o in scale]
            if len(set(scores)) != len(scores):
                raise ValueError(f"item '{item.code}': scale scores must be unique, got {scores}")
        if self.exclude_below is not None and not self.min_total < self.exclude_below <= self.max_total:
            raise ValueError(f"exclude_below {self.exclude_below} must lie above the lowest total "
                             f"({self.min_total}) and at most the highest ({self.max_total})")
        return self


class Appraisal(_Form):
    use: str = Field(min_length=1)  # the checklist this review appraises with
    checklists: list[Checklist] = Field(min_length=1)

    @property
    def active(self) -> Checklist:
        return next(c for c in self.checklists if c.name == self.use)

    @model_validator(mode="after")
    def _use_is_defined(self) -> Appraisal:
        names = [c.name for c in self.checklists]
        if self.use not in names:
            raise ValueError(f"use: '{self.use}' is not one of the checklists defined here ({', '.join(names)})")
        if len(set(names)) != len(names):
            raise ValueError(f"checklist names must be unique, got {names}")
        return self


class ChoiceOption(_Form):
    value: str = Field(min_length=1)
    score: float | None = None  # scored choices add up to a study's total (e.g. the ladder of co-production)
    description: str = ""


FieldType = Literal["text", "number", "choice"]


class ExtractionField(_Form):
    name: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    type: FieldType
    help: str = ""
    required: bool = False
    options: list[ChoiceOption] = Field(default_factory=list)
    multiple: bool = False  # choice fields: several options may apply (the highest score counts)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = Field(default=4000, ge=1)

    @property
    def scored(self) -> bool:
        return any(option.score is not None for option in self.options)

    def option(self, value: str) -> ChoiceOption:
        for option in self.options:
            if option.value == value:
                return option
        raise KeyError(value)

    @model_validator(mode="after")
    def _options_fit_type(self) -> ExtractionField:
        if self.type == "choice" and not self.options:
            raise ValueError(f"field '{self.name}': a choice field needs options")
        if self.type != "choice" and (self.options or self.multiple):
            raise ValueError(f"field '{self.name}': only choice fields have options")
        values = [o.value for o in self.options]
        if len(set(values)) != len(values):
            raise ValueError(f"field '{self.name}': option values must be unique")
        if self.type != "number" and (self.minimum is not None or self.maximum is not None):
            raise ValueError(f"field '{self.name}': only number fields have a minimum or maximum")
        return self


class ExtractionForm(_Form):
    fields: list[ExtractionField] = Field(min_length=1)

    def field(self, name: str) -> ExtractionField:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)

    @model_validator(mode="after")
    def _unique_names(self) -> ExtractionForm:
        names = [f.name for f in self.fields]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"field names must be unique, repeated: {repeated}")
        return self
