"""spaCy text pipeline: sentences, lemmas and the concept matcher used for highlighting.

Why: zero-shot scoring explains itself through the best-matching sentence, and the app highlights concept
terms whatever their case or inflection ("Trajectories" matches the synonym "trajectory").
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.lookups import load_lookups
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from screening.protocol.schema import Protocol

MAX_SENTENCE_CHARS = 1000  # a "sentence" longer than this (no punctuation) is cut so encoders see it all
SPLIT_RULES = 1  # bump when `sentences` splits differently: the on-disk split cache is keyed by it


@Language.component("lowercase_lemmas")
def _lowercase_lemmas(doc: Doc) -> Doc:
    """The lookup table is keyed by lower-case words, so capitalised words are looked up again lowered."""
    table = _lemma_table()
    for token in doc:
        lower = token.lower_
        lemma = token.lemma_
        if lemma == token.text and lower != token.text:
            lemma = table.get(lower, lower)
        token.lemma_ = lemma.lower()
    return doc


@cache
def _lemma_table():  # type: ignore[no-untyped-def]
    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


_NLP_LOCK = threading.Lock()


def get_nlp() -> Language:
    """The shared pipeline: tokenizer, sentencizer and lookup lemmatizer (spacy-lookups-data).

    Built once under a lock: the app's ranker thread and its page thread may ask at the same time, and
    two pipelines would give matchers and docs that do not fit each other (spaCy E084).
    """
    with _NLP_LOCK:
        return _build_nlp()


@cache
def _build_nlp() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("lowercase_lemmas")
    nlp.initialize()
    return nlp


def clean(value: object) -> str:
    """Text or "" (None and pandas' NaN for a missing field become empty)."""
    return value.strip() if isinstance(value, str) else ""


def record_text(title: str | None, abstract: str | None) -> str:
    """Title and abstract as one text (the unit that is ranked)."""
    parts = [p for p in (clean(title), clean(abstract)) if p]
    return ". ".join(p.rstrip(".") for p in parts) if len(parts) == 2 else (parts[0] if parts else "")


def _split_long(sentence: str) -> list[str]:
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return [sentence]
    return [sentence[i : i + MAX_SENTENCE_CHARS] for i in range(0, len(sentence), MAX_SENTENCE_CHARS)]


_SENTENCE_CACHE: dict[bytes, list[str]] = {}
_SENTENCE_CACHE_MAX = 300_000  # records; a simulation rebuilds rankers on the same records per seed


def _split_abstracts(texts: list[str], batch_size: int) -> Iterable[Doc]:
    if not texts:
        return []
    nlp = get_nlp()
    # Only the sentencizer is needed here; lemmatizing 50k abstracts would be wasted time. `disable` (not
    # select_pipes) leaves the shared pipeline untouched for threads highlighting at the same time.
    others = [name for name in nlp.pipe_names if name != "sentencizer"]
    return nlp.pipe(texts, batch_size=batch_size, disable=others)


def splitter_version() -> str:
    """Identity of the splitting rules and spaCy version (the on-disk split cache's key)."""
    return f"spacy{spacy.__version__}-rules{SPLIT_RULES}-max{MAX_SENTENCE_CHARS}"


def sentences(titles: Sequence[str | None], abstracts: Sequence[str | None], batch_size: int = 256,
              cache_dir: Path | None = None) -> list[list[str]]:
    """Per record: its title as the first sentence, then the abstract's sentences (empty list if no text).

    Split results are memoised in-process by text hash and, with `cache_dir`, on disk: splitting 100k
    abstracts costs about a minute on 2 cores, on every start of a ranker otherwise.
    """
    keys = [hashlib.sha1(f"{clean(t)}\x00{clean(a)}".encode()).digest() for t, a in zip(titles, abstracts,
                                                                                      strict=True)]
    todo = [i for i, key in enumerate(keys) if key not in _SENTENCE_CACHE]
    if len(_SENTENCE_CACHE) + len(todo) > _SENTENCE_CACHE_MAX:
        _SENTENCE_CACHE.clear()
        todo = list(range(len(keys)))
    disk = None
    if cache_dir is not None and todo:
        from screening.rank.derived_cache import SentenceSplitCache

        disk = SentenceSplitCache(cache_dir, splitter_version())
        stored = disk.get([keys[i] for i in todo])
        _SENTENCE_CACHE.update(stored)
        todo = [i for i in todo if keys[i] not in stored]
    new: dict[bytes, list[str]] = {}
    for i, doc in zip(todo, _split_abstracts([clean(abstracts[i]) for i in todo], batch_size), strict=True):
        record: list[str] = []
        title = clean(titles[i])
        if title:
            record.extend(_split_long(title))
        for sent in doc.sents:
            text = sent.text.strip()
            if any(ch.isalpha() for ch in text):
                record.extend(_split_long(text))
        new[keys[i]] = record
    _SENTENCE_CACHE.update(new)
    if disk is not None and new:
        disk.put(new)
    return [list(_SENTENCE_CACHE[key]) for key in keys]


def concept_terms(protocol: Protocol) -> dict[str, list[str]]:
    """Per concept the terms to highlight: its name and synonyms (free-text 'eligibility' has none)."""
    terms: dict[str, list[str]] = {}
    for concept in protocol.concepts:
        words = [concept.name.replace("_", " "), *concept.synonyms]
        terms[concept.name] = [w for w in dict.fromkeys(w.strip() for w in words) if w]
    return terms


def _terms_key(protocol: Protocol) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((name, tuple(words)) for name, words in concept_terms(protocol).items())


@lru_cache(maxsize=16)
def _matcher(key: tuple[tuple[str, tuple[str, ...]], ...]) -> PhraseMatcher:
    nlp = get_nlp()
    matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
    for name, words in key:
        matcher.add(name, list(nlp.pipe(words)))
    return matcher


def match_concepts(text: str, protocol: Protocol) -> list[tuple[int, int, str]]:
    """Character spans (start, end, concept name) of concept terms, longest match wins on overlap."""
    if not text or not protocol.concepts:
        return []
    nlp = get_nlp()
    matcher = _matcher(_terms_key(protocol))
    doc = nlp(text)
    spans = spacy.util.filter_spans(matcher(doc, as_spans=True))
    return [(span.start_char, span.end_char, span.label_) for span in sorted(spans, key=lambda s: s.start)]


def match_many(texts: Iterable[str], protocol: Protocol) -> list[list[tuple[int, int, str]]]:
    """`match_concepts` for many texts, piped for speed."""
    nlp = get_nlp()
    matcher = _matcher(_terms_key(protocol))
    result = []
    for doc in nlp.pipe(texts, batch_size=128):
        spans = spacy.util.filter_spans(matcher(doc, as_spans=True))
        result.append([(s.start_char, s.end_char, s.label_) for s in sorted(spans, key=lambda s: s.start)])
    return result
