"""What must be embedded for a record set: which encoders the ranker will ask, and their distinct sentences.

Why: the ranker embeds every sentence of every record with its encoder and, for the zero-shot prior, with the
card's `zeroshot_encoder`; warming exactly those caches ahead of time (here or on a cluster) means the ranker
then only reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from screening.rank.api import encoder_for
from screening.rank.model_cards import load_card
from screening.rank.text import sentences


def dense_encoders(name: str, n_records: int) -> list[str]:
    """The embedding encoders a ranker with encoder `name` uses on `n_records` (TF-IDF needs no warm-up)."""
    chosen = encoder_for(name, n_records)
    card = load_card(chosen)
    names = [chosen, card.zeroshot_encoder or chosen]
    return [n for n in dict.fromkeys(names) if load_card(n).library != "scikit-learn"]


def distinct_sentences(titles: Sequence[str | None], abstracts: Sequence[str | None],
                       cache_dir: Path | None = None) -> list[str]:
    """Every distinct sentence (titles included) of the records, in first-seen order."""
    split = sentences(titles, abstracts, cache_dir=cache_dir)
    return list(dict.fromkeys(s for record in split for s in record))
