"""Where model files live: the packaged MiniLM weights (verified) and the models built locally from them.

Why: the torch encoder, the static distillation and the ONNX build all start from the same sha256-checked
safetensors of the PyPI package, and keep what they build in one shared folder outside any project.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from screening.rank.cache import default_cache_dir
from screening.rank.model_cards import ModelCard, verify_weights

MODEL_CACHE_ENV = "SCREENING_MODEL_CACHE"


def model_cache_dir() -> Path:
    """Where locally built models (distilled static model, ONNX builds) live: shared by all projects."""
    return Path(os.environ.get(MODEL_CACHE_ENV) or default_cache_dir() / "models")


def offline() -> None:
    """No hub look-ups: every model is loaded from a local path."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def packaged_model_dir(card: ModelCard) -> Path:
    """Folder of the packaged MiniLM model (config, tokenizer, weights), its weights verified first."""
    module = importlib.import_module(card.weights["package"].replace("-", "_"))
    path = Path(module.get_model_path())
    verify_weights(card, path)
    return path
