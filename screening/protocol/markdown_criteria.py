"""Turn eligibility criteria written as free text (markdown) into a Protocol.

Most reviews publish their criteria as prose, not as a structured protocol. This reader keeps the text
as the authors wrote it and only cuts it into criteria: list items, sentences and inline enumerations
("(1) ..., (2) ..."), each labelled inclusion or exclusion by the words around it. The result is a
starting point the review team can export to YAML and edit; the ranker gets one free-text concept
("eligibility") built from the inclusion criteria.

Sentences are split with a regular expression rather than spaCy: loading spaCy costs seconds and the
protocol is read every time a project opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ValidationError

from screening.protocol.errors import ProtocolError
from screening.protocol.schema import Concept, Criterion, Protocol, Question

Polarity = Literal["inclusion", "exclusion"]
Kind = Literal["criteria", "question", "definitions", "skip"]

ELIGIBILITY_CONCEPT = "eligibility"
TOPIC_CONCEPT = "topic"

_TITLE = re.compile(r"^#\s+(?P<text>.+?)\s*#*\s*$")
_HEADING = re.compile(r"^#{2,6}\s+(?P<text>.+?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)]|\(?[a-z][.)])\s+(?P<text>.+)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE = re.compile(r"^\s*\**(?P<code>[IE](?:\d+[a-z]?|-[A-Z0-9][A-Z0-9_-]*))\**\s*[:.)\u2013-]\s+(?P<text>.+)$")
_NO_CRITERIA = re.compile(
    r"\bno (?:eligibility |inclusion |selection )?criteria (?:were|was|have been|are|is) "
    r"(?:published|available|reported|stated)", re.IGNORECASE)
_LABEL_WORD = re.compile(r"\b(criteria|objectives?|aims?|definitions?|questions?|description)\b", re.IGNORECASE)
_INLINE_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z ]{1,40}):\s+(?P<text>\S.*)$")
_REFERENCE = re.compile(r"\(\d{4}[a-z]?\)|\bdoi\b|https?://|\bet al\b", re.IGNORECASE)

_KIND_PATTERNS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("skip", re.compile(r"^(search|source|references?\b|notes?\b)", re.IGNORECASE)),
    ("definitions", re.compile(r"^definitions?\b", re.IGNORECASE)),
    ("question", re.compile(
        r"^((primary|secondary|main) )?(objectives?|aims?|research questions?|review questions?|"
        r"study description|background|purpose|topic)\b", re.IGNORECASE)),
)

_EXCLUSION = re.compile(r"exclu|\bnot (?:be )?(?:eligible|considered|included)\b", re.IGNORECASE)
_NOT_EXCLUSION = re.compile(r"\bnot (?:an? )?exclusion", re.IGNORECASE)
_INCLUSION = re.compile(r"inclu(?!ding)|eligib", re.IGNORECASE)

# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "eg.", "ie.", "et al.", "vs.", "cf.", "approx.", "incl.", "etc.", "fig.")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")

# Inline enumeration markers: (1) (a) (iv) 1) a) -- only split when they run 1, 2, 3... or a, b, c...
_MARKER = re.compile(r"(?:(?<=^)|(?<=[\s:;,]))\((?P<p>\d{1,2}|[a-z]|[ivx]{1,4})\)|"
                     r"(?:(?<=^)|(?<=[\s:;,]))(?P<b>\d{1,2}|[a-z])\)(?=\s)")
_ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"]


@dataclass
class _Block:
    """A paragraph or list item, with the section kind and label (e.g. "Exclusion criteria:") it sits under."""

    text: str
    kind: Kind
    label: str
    heading: str
    is_item: bool


@dataclass
class _Found:
    inclusion: list[tuple[str | None, str]] = field(default_factory=list)
    exclusion: list[tuple[str | None, str]] = field(default_factory=list)
    question: list[str] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)

    def add(self, polarity: Polarity, text: str, code: str | None = None) -> None:
        text = _clean(text)
        if len(text) < 2:
            return
        target = self.exclusion if polarity == "exclusion" else self.inclusion
        if all(existing != text for _, existing in self.inclusion + self.exclusion):
            target.append((code, text))


def parse_markdown_protocol(text: str, source: str = "<text>") -> Protocol:
    """Build a Protocol from a criteria text: ``# title``, then headings, paragraphs and lists."""
    lines = text.lstrip("\ufeff").splitlines()
    if not text.strip():
        raise ProtocolError(source, "the file is empty (expected '# <review title>' and the criteria)")
    title_index = next((i for i, line in enumerate(lines) if _TITLE.match(line)), None)
    if title_index is None:
        raise ProtocolError(source, "no '# <review title>' line found: a criteria file starts with its title")
    title = _TITLE.match(lines[title_index]).group("text")  # type: ignore[union-attr]
    body = lines[title_index + 1:]
    found = _collect(_blocks(body))
    if _NO_CRITERIA.search("\n".join(body)):  # keep only a stated topic, if any
        found = _Found(question=found.question)
    return _build(source, title, found)


def _blocks(lines: list[str]) -> list[_Block]:
    """Split the body into paragraphs and list items, dropping code blocks and the reference preamble."""
    has_headings = any(_HEADING.match(line) for line in lines)
    blocks: list[_Block] = []
    kind: Kind = "skip" if has_headings else "criteria"  # text before the first heading is the reference
    heading, label, in_fence, open_block = "", "", False, False
    for index, raw in enumerate(lines):
        line = raw.strip()
        if _FENCE.match(line):
            in_fence, open_block = not in_fence, False
            continue
        if in_fence:
            continue
        if not line:
            open_block = False
            continue
        if match := _HEADING.match(line):
            heading = match.group("text")
            kind, label, open_block = _kind_of(heading) or "criteria", "", False
            continue
        next_line = next((x.strip() for x in lines[index + 1:] if x.strip()), "")
        if _is_label(line, next_line):
            label = line.rstrip(":").strip()
            open_block = False
            continue
        item = _LIST_ITEM.match(raw)
        if open_block and not item and not _ends_sentence(blocks[-1].text):
            blocks[-1].text += " " + line  # a wrapped line continues its paragraph or item
            continue
        if open_block and not item and blocks[-1].is_item and raw.startswith((" ", "\t")):
            blocks[-1].text += " " + line
            continue
        block_kind = _kind_of(label) or kind
        text = item.group("text") if item else line
        if inline := _INLINE_LABEL.match(text):  # "AIMS: The aims of this review are ..."
            block_kind = _kind_of(inline.group("label")) or block_kind
            text = inline.group("text") if block_kind != "criteria" else text
        blocks.append(_Block(text, block_kind, label, heading, bool(item)))
        open_block = True
    if not has_headings:
        blocks = [b for i, b in enumerate(blocks) if not (i == 0 and _REFERENCE.search(b.text))]
    return [b for b in blocks if b.kind != "skip" and not b.text.lower().startswith("source:")]


def _is_label(line: str, next_line: str) -> bool:
    """A short line that names what follows: "Inclusion criteria:", "Exclusion criteria", "Definitions:"."""
    words = line.rstrip(":").split()
    if not words or len(words) > 6 or _LIST_ITEM.match(line) or _CODE.match(line):
        return False
    if line.endswith(":"):
        return True
    return (not _ends_sentence(line) and line[0].isupper() and next_line[:1].isupper()
            and bool(_LABEL_WORD.search(line)))


def _kind_of(text: str) -> Kind | None:
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(text.strip()):
            return kind
    return None


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", ";", ":", "!", "?", ")"))


def _polarity(text: str) -> Polarity | None:
    """Which way a text points: "exclu..." (and "not eligible/considered") mean exclusion, "inclu..." inclusion."""
    exclusion = None if _NOT_EXCLUSION.search(text) else _EXCLUSION.search(text)
    inclusion = _INCLUSION.search(text)
    if exclusion and (not inclusion or exclusion.start() < inclusion.start()):
        return "exclusion"  # "Exclusion criteria will include ..." : the first word decides
    return "inclusion" if inclusion else None


def _collect(blocks: list[_Block]) -> _Found:
    found = _Found()
    lead_in = ""
    last_heading = None
    for block in blocks:
        if block.heading != last_heading:
            lead_in, last_heading = "", block.heading
        if block.kind == "question":
            found.question.append(block.text)
            continue
        if block.kind == "definitions":
            found.definitions.append(block.text)
            continue
        context = _polarity(block.label) or _polarity(block.heading) or _polarity(lead_in)
        if code_match := _CODE.match(block.text):
            code = code_match.group("code")
            found.add("exclusion" if code.startswith("E") else "inclusion", code_match.group("text"), code)
            continue
        if block.is_item:
            lead_in = _add_item(found, block.text, context) or lead_in
            continue
        for sentence in split_sentences(block.text):
            if sentence.endswith(":") and not _enumeration(sentence)[1]:
                lead_in = sentence  # "We included the following groups:" governs what follows
                context = _polarity(sentence) or context
                continue
            _add_sentence(found, sentence, context)
    return found


def _add_item(found: _Found, text: str, context: Polarity | None) -> str | None:
    """A list item stays one criterion, except that its sentences about exclusion become their own."""
    sentences = split_sentences(text)
    excluded = [s for s in sentences if _polarity(s) == "exclusion"]
    kept = [s for s in sentences if s not in excluded]
    if kept and excluded:
        found.add(context or "inclusion", " ".join(kept))
        for sentence in excluded:
            found.add("exclusion", sentence)
        return None
    if text.endswith(":"):
        return text
    found.add(_polarity(text) or context or "inclusion", text)
    return None


def _add_sentence(found: _Found, sentence: str, context: Polarity | None) -> None:
    lead, items = _enumeration(sentence)
    if not items:
        found.add(_polarity(sentence) or context or "inclusion", sentence)
        return
    lead_polarity = _polarity(lead) or context or "inclusion"
    for item in items:
        found.add("exclusion" if _polarity(item) == "exclusion" else lead_polarity, item)


def _enumeration(sentence: str) -> tuple[str, list[str]]:
    """Split "… were: (1) a, (2) b and (3) c" into its lead-in and items; no items unless they run in order."""
    markers = list(_MARKER.finditer(sentence))
    for sequence in (
        [str(n) for n in range(1, 30)], [chr(c) for c in range(ord("a"), ord("z") + 1)], _ROMAN,
    ):
        chosen, position = [], 0
        for match in markers:
            value = match.group("p") or match.group("b")
            if position < len(sequence) and value == sequence[position]:
                chosen.append(match)
                position += 1
        if len(chosen) >= 2:
            lead = sentence[: chosen[0].start()].strip()
            ends = [m.start() for m in chosen[1:]] + [len(sentence)]
            items = [sentence[m.end(): end] for m, end in zip(chosen, ends, strict=True)]
            return lead, [item for item in (_clean(i) for i in items) if item]
    return sentence, []


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph, not breaking after abbreviations such as "e.g." or "et al."."""
    protected = text
    for number, abbreviation in enumerate(_ABBREVIATIONS):
        protected = re.sub(r"(?<![A-Za-z])" + re.escape(abbreviation), f"\x00{number}\x00", protected,
                           flags=re.IGNORECASE)
    parts = _SENTENCE_END.split(protected)
    restored = []
    for part in parts:
        restored.append(re.sub(r"\x00(\d+)\x00", lambda m: _original(text, _ABBREVIATIONS[int(m[1])]), part))
    return [p.strip() for p in restored if p.strip()]


def _original(text: str, abbreviation: str) -> str:
    """The abbreviation as spelt in the text (keeps "E.g." capitalised)."""
    match = re.search(r"(?<![A-Za-z])" + re.escape(abbreviation), text, flags=re.IGNORECASE)
    return match.group(0) if match else abbreviation


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(?:and|or)\s+", "", text, flags=re.IGNORECASE)
    return re.sub(r"(?:[,;]\s*|\s+)(?:and|or)$", "", text.rstrip(",;")).rstrip(",;").strip()


def _definition_concepts(texts: list[str]) -> list[Concept]:
    """ "Solastalgia is/refers to ..." or "Solastalgia: ..." becomes an optional concept named Solastalgia."""
    concepts = []
    for text in texts:
        match = re.match(r"^(?P<name>[^:.;]{1,60}?)(?:\s+(?:is|are|refers? to|means?|can be defined as)\s+|:\s+)",
                         text)
        if match and len(match.group("name").split()) <= 6:
            concepts.append(Concept(name=match.group("name").strip(), definition=_clean(text), required=False))
    return concepts


def _numbered(entries: list[tuple[str | None, str]], prefix: str, taken: set[str]) -> list[Criterion]:
    """Give each criterion its written code or the next free I1, I2... / E1, E2..."""
    criteria, number = [], 0
    for code, text in entries:
        if code is None:
            number += 1
            while f"{prefix}{number}" in taken:
                number += 1
            code = f"{prefix}{number}"
        taken.add(code)
        criteria.append(Criterion(code=code, text=text))
    return criteria


def _build(source: str, title: str, found: _Found) -> Protocol:
    question = " ".join([title.rstrip(".") + "."] + found.question) if found.question else title
    taken = {code for code, _ in found.inclusion + found.exclusion if code}
    try:
        inclusion = _numbered(found.inclusion, "I", taken)
        exclusion = _numbered(found.exclusion, "E", taken)
        if inclusion:  # exclusion text is left out: matching it would pull up what must be excluded
            definition = "; ".join(c.text.rstrip(".;") for c in inclusion)
            concepts = [Concept(name=ELIGIBILITY_CONCEPT, definition=definition, required=True)]
        else:
            topic = " ".join([title.rstrip(".") + "."] + found.question) if found.question else title
            concepts = [Concept(name=TOPIC_CONCEPT, definition=topic, required=True)]
        names = {c.name.lower() for c in concepts}
        for concept in _definition_concepts(found.definitions):
            if concept.name.lower() not in names:
                concepts.append(concept)
                names.add(concept.name.lower())
        return Protocol(title=title, question=Question(text=question), concepts=concepts,
                        inclusion=inclusion, exclusion=exclusion)
    except ValidationError as error:
        from screening.protocol.yaml_protocol import field_path

        raise ProtocolError(source, [f"{field_path(tuple(e['loc']))}: {e['msg']}" for e in error.errors()]) \
            from error
