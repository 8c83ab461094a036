"""Shared helpers for the ranking tests: real CC0 record samples and their review criteria."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from screening.protocol.load import load_protocol
from screening.protocol.schema import Protocol
from screening.rank.encoders import MODEL_CACHE_ENV, model_cache_dir
from screening.rank.model_cards import MODELS_DIR_ENV, load_card, models_dir
from screening.rank.onnx_build import build_onnx

RANK_FIXTURES = Path(__file__).parent / "fixtures" / "rank"
DATASETS = ("Smid_2020", "van_de_Schoot_2018", "Donners_2021", "Meijboom_2021", "Sep_2021", "Nelson_2002")


def load_sample(name: str) -> tuple[pd.DataFrame, Protocol]:
    records = pd.read_csv(RANK_FIXTURES / f"{name}.csv.gz", dtype={"record_id": str}, keep_default_na=False)
    return records, load_protocol(RANK_FIXTURES / f"{name}.criteria.md")


def recall_at(order: np.ndarray, labels: np.ndarray, share: float) -> float:
    """Share of includes among the first `share` of the order."""
    n = int(len(labels) * share)
    return float(labels[order[:n]].sum() / labels.sum())


@pytest.fixture(scope="session")
def static_models(request: pytest.FixtureRequest) -> Iterator[Path]:
    """Folder of the locally built models (distilled static encoder, MiniLM's ONNX build), kept in pytest's
    cache so each is built once. The ONNX build is made here too, so every test after this fixture runs
    MiniLM on the same backend as a set-up machine (ONNX), whichever test asked first. Without pytest's
    cache (`-p no:cacheprovider`) the machine's own model cache is used, the folder `make setup` fills."""
    cache = getattr(request.config, "cache", None)
    directory = Path(cache.mkdir("rank-models")) if cache is not None else model_cache_dir()
    build_onnx(load_card("minilm"), directory)
    previous = os.environ.get(MODEL_CACHE_ENV)
    os.environ[MODEL_CACHE_ENV] = str(directory)
    yield directory
    if previous is None:
        os.environ.pop(MODEL_CACHE_ENV, None)
    else:
        os.environ[MODEL_CACHE_ENV] = previous


def use_edited_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                    edit: Callable[[dict], None]) -> Path:
    """Point the model-card folder at a copy of the real cards in which card `name` was changed by `edit`."""
    cards = tmp_path / "models"
    shutil.copytree(models_dir(), cards)
    card = yaml.safe_load((cards / f"{name}.yaml").read_text())
    edit(card)
    (cards / f"{name}.yaml").write_text(yaml.safe_dump(card))
    monkeypatch.setenv(MODELS_DIR_ENV, str(cards))
    return cards
