"""Zero-shot concept scorer: how well each record matches the protocol's agreed concept definitions.

Why: before any record is labelled, the concept definitions are the only knowledge of relevance. A record
scores high on a concept when one of its sentences is close to the concept's definition or terms; the
combined score is a soft AND over required concepts, lowered by similarity to exclusion criteria.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.stats import rankdata

from screening.protocol.schema import Protocol
from screening.rank.encoders import CachedEncoder, TfidfEncoder

CHUNK_RECORDS = 2000  # records per embedding chunk: bounds memory for 100k-record projects
EXCLUSION_WEIGHT = 0.3
LEXICAL_WEIGHT = 0.5  # weight of whole-record TF-IDF similarity to the protocol text vs sentence matching


@dataclass(frozen=True)
class ConceptQuery:
    """The texts that stand for one concept: its definition and its name + synonyms."""

    name: str
    definition: str
    terms: str
    required: bool


def concept_queries(protocol: Protocol) -> list[ConceptQuery]:
    return [
        ConceptQuery(
            name=c.name,
            definition=c.definition,
            terms=", ".join(dict.fromkeys([c.name.replace("_", " "), *c.synonyms])),
            required=c.required,
        )
        for c in protocol.concepts
    ]


def protocol_text(protocol: Protocol) -> str:
    """All positive protocol text (question, concepts, inclusion criteria): the lexical query."""
    parts = [protocol.title, protocol.question.text, *protocol.question.elements.values()]
    for c in protocol.concepts:
        parts += [c.name, c.definition, *c.synonyms]
    parts += [c.text for c in protocol.inclusion]
    return "\n".join(p for p in parts if p)


def percentile(values: np.ndarray) -> np.ndarray:
    """Rank-normalise to (0, 1]: concept similarities live on different scales per concept and model."""
    if len(values) == 0:
        return values.astype(np.float64)
    return rankdata(values, method="average") / len(values)


def soft_and(percentiles: np.ndarray, required: np.ndarray) -> np.ndarray:
    """Geometric mean over required concepts (optional ones add a small bonus): high only if all are."""
    if percentiles.shape[1] == 0:
        return np.full(percentiles.shape[0], 0.5)
    logs = np.log(np.clip(percentiles, 1e-6, 1.0))
    mask = required if required.any() else np.ones_like(required)
    score = np.exp(logs[:, mask].mean(axis=1))
    if (~mask).any():
        score = 0.8 * score + 0.2 * percentiles[:, ~mask].mean(axis=1)
    return score


@dataclass
class SentenceMatches:
    """Per record the best sentence similarity to each query text, and which sentence it was."""

    similarity: np.ndarray  # (n_records, n_queries) cosine of the best sentence
    best: np.ndarray  # (n_records, n_queries) index into that record's sentences, -1 when none
    record_vectors: np.ndarray | None  # (n_records, dim) mean of sentence vectors (dense encoders only)


def match_sentences(sentences: Sequence[Sequence[str]], queries: Sequence[str],
                    encoder: CachedEncoder | TfidfEncoder, progress: bool = True,
                    cache_dir: Path | None = None) -> SentenceMatches:
    """Best-matching sentence per record and query, in chunks so memory stays flat at 100k records.

    With `cache_dir`, the result is kept on disk per encoder, sentences and queries (`SentenceMatchCache`)
    and read back on the next start instead of being computed again.
    """
    if cache_dir is None or getattr(encoder, "key", None) is None:
        return _match_sentences(sentences, queries, encoder, progress)
    from screening.rank.derived_cache import SentenceMatchCache, matches_key

    store, key = SentenceMatchCache(cache_dir), matches_key(str(encoder.key), sentences, queries)
    stored = store.load(key)
    if stored is not None and stored["similarity"].shape == (len(sentences), len(queries)):
        vectors = stored.get("record_vectors")
        return SentenceMatches(similarity=stored["similarity"], best=stored["best"],
                               record_vectors=vectors if vectors is not None and vectors.ndim == 2 else None)
    matches = _match_sentences(sentences, queries, encoder, progress)
    arrays = {"similarity": matches.similarity, "best": matches.best}
    if matches.record_vectors is not None:
        arrays["record_vectors"] = matches.record_vectors
    store.save(key, arrays)
    return matches


def _match_sentences(sentences: Sequence[Sequence[str]], queries: Sequence[str],
                     encoder: CachedEncoder | TfidfEncoder, progress: bool = True) -> SentenceMatches:
    n = len(sentences)
    similarity = np.zeros((n, len(queries)), dtype=np.float32)
    best = np.full((n, len(queries)), -1, dtype=np.int32)
    dense = encoder.dense
    record_vectors = None
    query_vectors = encoder.encode(list(queries)) if queries else None
    lengths = np.array([len(r) for r in sentences], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    table = index = None
    if dense and isinstance(encoder, CachedEncoder):
        # Every distinct sentence of the whole set hashed, embedded (when missing) and read once, under one
        # progress bar; the chunks below only index into that table.
        table, index = encoder.distinct_vectors([s for record in sentences for s in record], progress=progress)
    for start in range(0, n, CHUNK_RECORDS):
        stop = min(start + CHUNK_RECORDS, n)
        first, last = int(offsets[start]), int(offsets[stop])
        if last == first:
            continue
        if table is not None and index is not None:
            vectors = table[index[first:last]].astype(np.float32)
        else:
            vectors = encoder.encode([s for record in sentences[start:stop] for s in record])
        if dense:
            if record_vectors is None:
                record_vectors = np.zeros((n, vectors.shape[1]), dtype=np.float32)
            filled = np.flatnonzero(lengths[start:stop] > 0)
            sums = np.zeros((stop - start, vectors.shape[1]), dtype=np.float32)
            sums[filled] = np.add.reduceat(vectors, offsets[start:stop][filled] - first, axis=0)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            record_vectors[start:stop] = sums / np.maximum(norms, 1e-12)
        if query_vectors is None:
            continue
        sims = vectors @ query_vectors.T
        sims = np.asarray(sims.todense()) if sparse.issparse(sims) else np.asarray(sims)
        local = offsets[start : stop + 1] - first
        for row, (a, b) in enumerate(zip(local[:-1], local[1:], strict=True)):
            if b > a:
                block = sims[a:b]
                best[start + row] = block.argmax(axis=0)
                similarity[start + row] = block.max(axis=0)
    return SentenceMatches(similarity=similarity, best=best, record_vectors=record_vectors)


@dataclass
class ZeroShotScores:
    concept_names: list[str]
    concept_similarity: np.ndarray  # (n_records, n_concepts) raw similarity (for display)
    best_sentence: list[list[str]]  # per concept, per record: the explanation
    exclusion_similarity: np.ndarray  # (n_records,)
    lexical: np.ndarray  # (n_records,) TF-IDF cosine of record and protocol text
    combined: np.ndarray  # (n_records,) in (0, 1], higher = more likely relevant
    record_vectors: np.ndarray | None


def score_protocol(protocol: Protocol, sentences: Sequence[Sequence[str]], encoder: CachedEncoder | TfidfEncoder,
                   tfidf: TfidfEncoder, *, exclusion_weight: float = EXCLUSION_WEIGHT,
                   lexical_weight: float = LEXICAL_WEIGHT, progress: bool = True,
                   cache_dir: Path | None = None) -> ZeroShotScores:
    """Score every record against the protocol (see module docstring)."""
    queries = concept_queries(protocol)
    texts: list[str] = []
    for q in queries:
        texts += [q.definition, q.terms]
    topic = protocol.question.text
    texts.append(topic)
    exclusions = [c.text for c in protocol.exclusion]
    texts += exclusions
    matches = match_sentences(sentences, texts, encoder, progress=progress, cache_dir=cache_dir)
    n = len(sentences)
    k = len(queries)
    definition_sim = matches.similarity[:, 0 : 2 * k : 2]
    terms_sim = matches.similarity[:, 1 : 2 * k : 2]
    concept_sim = 0.5 * (definition_sim + terms_sim)
    best_idx = np.where(definition_sim >= terms_sim, matches.best[:, 0 : 2 * k : 2], matches.best[:, 1 : 2 * k : 2])
    best_sentence = [
        [sentences[r][i] if i >= 0 else "" for r, i in enumerate(best_idx[:, c])] for c in range(k)
    ]
    topic_sim = matches.similarity[:, 2 * k]
    exclusion_sim = matches.similarity[:, 2 * k + 1 :].max(axis=1) if exclusions else np.zeros(n, dtype=np.float32)
    lexical = np.asarray((tfidf.matrix @ tfidf.encode([protocol_text(protocol)]).T).todense()).ravel()

    required = np.array([q.required for q in queries], dtype=bool)
    # The review question/title is a required "topic" concept: free-text criteria often omit the topic.
    columns = [percentile(concept_sim[:, c]) for c in range(k)] + [percentile(topic_sim)]
    concept_part = soft_and(np.column_stack(columns), np.append(required, True))
    combined = (1 - lexical_weight) * concept_part + lexical_weight * percentile(lexical)
    if exclusions and exclusion_weight:
        combined = combined * (1 - exclusion_weight * percentile(exclusion_sim))
    return ZeroShotScores(
        concept_names=[q.name for q in queries],
        concept_similarity=concept_sim,
        best_sentence=best_sentence,
        exclusion_similarity=exclusion_sim,
        lexical=lexical,
        combined=combined,
        record_vectors=matches.record_vectors,
    )
