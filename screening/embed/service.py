"""Fill the embedding caches a ranker will read, here or on a Ray cluster (`screening embed`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from screening.embed.plan import dense_encoders, distinct_sentences
from screening.rank.encoders import CachedEncoder, get_encoder


@dataclass
class EmbedReport:
    encoder: str
    cache_key: str
    sentences: int
    embedded: int
    seconds: float
    where: str  # "local" or "ray"

    def line(self) -> str:
        rate = f", {self.embedded / self.seconds:.0f} sentences/s" if self.embedded and self.seconds else ""
        return (f"{self.encoder} ({self.cache_key}): {self.sentences:,} distinct sentences, {self.embedded:,} "
                f"embedded {self.where} in {self.seconds:.1f} s{rate}")


def embed_texts(encoder_names: Sequence[str], texts: Sequence[str], cache_dir: Path | None, *,
                ray_address: str | None = None, workers: int | None = None,
                progress: bool = True) -> list[EmbedReport]:
    """Embed `texts` with each encoder into its cache: locally, or on Ray when `ray_address` is given."""
    if ray_address is not None:
        from screening.embed.ray_runner import connect

        connect(None if ray_address == "local" else ray_address)
    reports = []
    for name in encoder_names:
        encoder = get_encoder(name, cache_dir=cache_dir)
        assert isinstance(encoder, CachedEncoder)
        started = time.perf_counter()
        if ray_address is None:
            done = encoder.embed_missing(texts, progress=progress)
        else:
            from screening.embed.ray_runner import embed_on_ray

            done = embed_on_ray(encoder, texts, workers=workers, progress=progress)
        reports.append(EmbedReport(name, encoder.base.key, len(texts), done, time.perf_counter() - started,
                                   "local" if ray_address is None else "ray"))
    return reports


def embed_project(project, encoder: str = "auto", *, ray_address: str | None = None,  # type: ignore[no-untyped-def]
                  workers: int | None = None, progress: bool = True) -> list[EmbedReport]:
    """Warm the project's caches for the encoders its ranker uses (`encoder`, as `screening rank` takes)."""
    from screening.rank.project_data import load_records

    records = load_records(project)
    texts = distinct_sentences(records["title"].tolist(), records["abstract"].tolist(), project.cache_dir)
    return embed_texts(dense_encoders(encoder, len(records)), texts, project.cache_dir,
                       ray_address=ray_address, workers=workers, progress=progress)
