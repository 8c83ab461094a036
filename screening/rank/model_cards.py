"""Model cards: every encoder is resolved by name through a YAML card in `models/`.

Why: the card is the single place that says where weights come from, under which licence, and which
sha256 they must have; the MiniLM wheel is a third-party repackaging, so its weights are verified on load.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

MODELS_DIR_ENV = "SCREENING_MODELS_DIR"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


class ModelCardError(RuntimeError):
    """A model card is missing or invalid, or the weights do not match it."""


class Speed(BaseModel):
    model_config = ConfigDict(extra="allow")
    measured_on: str
    records_per_second: float


class OnnxBuild(BaseModel):
    """A local ONNX Runtime build of the card's weights: how it is made and the sha256 it must have."""

    model_config = ConfigDict(extra="allow")
    file: str
    sha256: str
    opset: int
    # Dynamic int8 quantisation settings (onnxruntime.quantization.quantize_dynamic).
    quantisation: dict[str, Any]
    # Versions the recorded sha256 was produced with; another version may export different bytes.
    built_with: dict[str, str]


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    library: str
    weights: dict[str, Any]
    licence: str
    dimension: int | None = None
    max_tokens: int | None = None
    normalised: bool = True
    # Pull of this encoder's record vectors beside TF-IDF in the active learner (0 = not used); tuned by
    # simulation over the labelled datasets, per encoder, because a weaker encoder can add more noise than signal.
    classifier_feature_weight: float = Field(default=0.0, ge=0.0)
    # Model card whose sentence matching scores the protocol (zero-shot prior, concept explanations) when this
    # encoder is chosen; None = this encoder itself. Set where another encoder matches criteria better.
    zeroshot_encoder: str | None = None
    speed: Speed
    # An ONNX int8 build made locally at set-up (`screening build-models`); used instead of torch when present.
    onnx: OnnxBuild | None = None
    path: Path | None = Field(default=None, exclude=True)


def models_dir() -> Path:
    return Path(os.environ.get(MODELS_DIR_ENV, DEFAULT_MODELS_DIR))


def available_cards() -> list[str]:
    """Names of the encoders that have a card."""
    return sorted(p.stem for p in models_dir().glob("*.yaml"))


@cache
def _load_card(path: Path) -> ModelCard:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        card = ModelCard.model_validate(data)
    except (yaml.YAMLError, ValidationError) as error:
        raise ModelCardError(f"{path}: invalid model card: {error}") from error
    if card.name != path.stem:
        raise ModelCardError(f"{path}: card name {card.name!r} differs from the file name {path.stem!r}")
    if card.zeroshot_encoder is not None and not (path.parent / f"{card.zeroshot_encoder}.yaml").exists():
        known = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise ModelCardError(f"{path}: zeroshot_encoder {card.zeroshot_encoder!r} has no model card "
                             f"(known: {known})")
    return card.model_copy(update={"path": path})


def load_card(name: str) -> ModelCard:
    """The card of encoder `name`; a clear error lists the known names."""
    path = models_dir() / f"{name}.yaml"
    if not path.exists():
        raise ModelCardError(f"unknown encoder {name!r}: no model card {path} (known: {available_cards()})")
    return _load_card(path)


def sha256_of(path: Path) -> str:
    """sha256 of a file, memoised per (path, size, mtime): every Ranker checks the 90 MB weights."""
    stat = path.stat()
    return _sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@cache
def _sha256(path_text: str, _size: int, _mtime_ns: int, chunk_size: int = 1 << 20) -> str:
    path = Path(path_text)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(path: Path, expected: str, card: ModelCard, what: str) -> None:
    """Fail naming the file and the card when `path` does not have the card's sha256."""
    actual = sha256_of(path)
    if actual != expected:
        raise ModelCardError(f"{path}: sha256 {actual} does not match {expected} from model card {card.path}; "
                             f"the {what} may have been tampered with or replaced")


def verify_weights(card: ModelCard, model_dir: Path) -> Path:
    """Check the card's weights file in `model_dir` against its sha256; returns the file's path."""
    expected = card.weights.get("sha256")
    file_name = card.weights.get("file")
    if not expected or not file_name:
        raise ModelCardError(f"{card.path}: weights.file and weights.sha256 are required to verify weights")
    weights_file = model_dir / file_name
    if not weights_file.exists():
        raise ModelCardError(f"{weights_file}: weights file named in model card {card.path} is missing")
    check_sha256(weights_file, expected, card, f"package {card.weights.get('package')!r}")
    return weights_file
