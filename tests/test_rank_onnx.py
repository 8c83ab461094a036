"""MiniLM's ONNX int8 backend: built locally and verified, close to torch, chosen automatically, cached apart."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from screening.rank import encoders as enc
from screening.rank.model_cards import ModelCardError, load_card
from screening.rank.model_paths import MODEL_CACHE_ENV
from screening.rank.onnx_build import build_onnx, onnx_path
from screening.rank.onnx_encoder import OnnxMiniLMEncoder
from screening.rank.text import sentences
from tests.rank_helpers import load_sample, static_models, use_edited_card  # noqa: F401 (session fixture)


def sample_sentences(n_records: int = 40) -> list[str]:
    records, _ = load_sample("van_de_Schoot_2018")
    head = records.head(n_records)
    return [s for record in sentences(head["title"].tolist(), head["abstract"].tolist()) for s in record]


def test_onnx_vectors_are_close_to_torch(static_models: Path) -> None:  # noqa: F811
    texts = sample_sentences()
    card = load_card("minilm")
    onnx = OnnxMiniLMEncoder(card, onnx_path(card, static_models)).encode(texts)
    torch = enc.MiniLMEncoder(card).encode(texts)
    cosine = (onnx * torch).sum(axis=1)
    assert len(texts) > 200
    np.testing.assert_allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    assert cosine.mean() > 0.99 and cosine.min() > 0.95, (cosine.mean(), cosine.min())
    # A text gets the same vector alone as among others (no batch-dependent int8 scales), in input order.
    alone = OnnxMiniLMEncoder(card, onnx_path(card, static_models)).encode([texts[7]])
    np.testing.assert_allclose(alone[0], onnx[7], atol=1e-6)


def test_auto_picks_onnx_when_built_and_torch_otherwise(static_models: Path, tmp_path: Path,  # noqa: F811
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    card = load_card("minilm")
    assert isinstance(enc.get_encoder("minilm", cache_dir=tmp_path).base, OnnxMiniLMEncoder)
    monkeypatch.setenv(enc.MINILM_BACKEND_ENV, "torch")
    assert isinstance(enc.get_encoder("minilm", cache_dir=tmp_path).base, enc.MiniLMEncoder)
    monkeypatch.delenv(enc.MINILM_BACKEND_ENV)
    monkeypatch.setenv(MODEL_CACHE_ENV, str(tmp_path / "no-models"))
    assert not enc.onnx_available(card)
    assert isinstance(enc.get_encoder("minilm", cache_dir=tmp_path).base, enc.MiniLMEncoder)
    monkeypatch.setenv(enc.MINILM_BACKEND_ENV, "onnx")
    with pytest.raises(ModelCardError, match="ONNX build of 'minilm' is missing.*screening build-models"):
        enc.get_encoder("minilm", cache_dir=tmp_path)
    monkeypatch.setenv(enc.MINILM_BACKEND_ENV, "fast")
    with pytest.raises(ModelCardError, match="SCREENING_MINILM_BACKEND='fast'"):
        enc.get_encoder("minilm", cache_dir=tmp_path)


def test_onnx_and_torch_vectors_never_share_a_cache(static_models: Path, tmp_path: Path,  # noqa: F811
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    text = ["Trajectories of post-traumatic stress after trauma."]
    onnx = enc.get_encoder("minilm", cache_dir=tmp_path)
    monkeypatch.setenv(enc.MINILM_BACKEND_ENV, "torch")
    torch = enc.get_encoder("minilm", cache_dir=tmp_path)
    assert torch.base.key == "minilm-53aa51172d14"  # unchanged: caches filled before the ONNX backend stay valid
    assert onnx.base.key.startswith("minilm-onnx-int8-") and onnx.cache.path != torch.cache.path
    onnx.encode(text)
    assert torch.cached_fraction(text) == 0.0  # the ONNX vector is not served to the torch encoder
    torch.encode(text)
    assert onnx.cached_fraction(text) == torch.cached_fraction(text) == 1.0


def test_a_replaced_onnx_file_fails_naming_the_file(static_models: Path, tmp_path: Path) -> None:  # noqa: F811
    card = load_card("minilm")
    copy = tmp_path / "model_qint8.onnx"
    shutil.copy(onnx_path(card, static_models), copy)
    with copy.open("r+b") as handle:  # one flipped byte inside the weights
        handle.seek(copy.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelCardError, match=rf"{copy}: sha256 [0-9a-f]{{64}} does not match {card.onnx.sha256}"):
        OnnxMiniLMEncoder(card, copy).encode(["not embedded by an unverified graph"])


def test_a_build_that_does_not_match_the_card_is_refused_and_not_kept(
    static_models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    use_edited_card(tmp_path, monkeypatch, "minilm", lambda card: card["onnx"].update(sha256="0" * 64))
    card = load_card("minilm")
    models = tmp_path / "models-built"
    with pytest.raises(ModelCardError, match=r"model_qint8\.onnx: the ONNX build has sha256 .* not 0{64}.*onnxruntime"):
        build_onnx(card, models)
    assert not onnx_path(card, models).exists()
    assert list(onnx_path(card, models).parent.iterdir()) == []  # no staged file left behind
    monkeypatch.setenv(MODEL_CACHE_ENV, str(models))
    assert isinstance(enc.get_encoder("minilm", cache_dir=tmp_path).base, enc.MiniLMEncoder)
