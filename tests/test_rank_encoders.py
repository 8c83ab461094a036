"""Model cards, weight verification and the on-disk embedding cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from screening.rank import encoders as enc
from screening.rank.model_cards import ModelCardError, available_cards, load_card
from tests.rank_helpers import static_models, use_edited_card  # noqa: F401 (session fixture)


def test_every_encoder_has_a_valid_card() -> None:
    assert {"minilm", "static", "tfidf"} <= set(available_cards())
    minilm = load_card("minilm")
    assert minilm.weights["sha256"] == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    assert minilm.licence == "Apache-2.0" and minilm.dimension == 384 and minilm.max_tokens == 256


def test_unknown_encoder_names_the_known_ones() -> None:
    with pytest.raises(ModelCardError, match="unknown encoder 'bert'.*minilm"):
        enc.get_encoder("bert")


def test_a_card_naming_an_unknown_zero_shot_encoder_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_edited_card(tmp_path, monkeypatch, "static", lambda card: card.update(zeroshot_encoder="bert"))
    with pytest.raises(ModelCardError, match=r"static\.yaml: zeroshot_encoder 'bert' has no model card.*minilm"):
        load_card("static")


def test_sha256_mismatch_raises_on_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_edited_card(tmp_path, monkeypatch, "minilm", lambda card: card["weights"].update(sha256="0" * 64))
    encoder = enc.get_encoder("minilm", cache_dir=tmp_path / "cache")
    with pytest.raises(ModelCardError, match="sha256 .* does not match 0{64}"):
        encoder.encode(["a sentence that must not be embedded by unverified weights"])


class CountingEncoder:
    """Wraps a real encoder and counts the texts it was asked to embed."""

    def __init__(self, base: enc.MiniLMEncoder) -> None:
        self.base, self.name, self.key, self.dimension = base, base.name, base.key, base.dimension
        self.texts_encoded = 0

    def encode(self, texts):  # type: ignore[no-untyped-def]
        self.texts_encoded += len(texts)
        return self.base.encode(texts)


def test_minilm_embeddings_are_cached_on_disk(tmp_path: Path) -> None:
    texts = ["Latent growth mixture modelling of PTSD symptoms.", "Emicizumab pharmacokinetics in infants.",
             "Latent growth mixture modelling of PTSD symptoms."]
    counting = CountingEncoder(enc.MiniLMEncoder(load_card("minilm")))
    cached = enc.CachedEncoder(counting, tmp_path)  # type: ignore[arg-type]
    first = cached.encode(texts)
    assert counting.texts_encoded == 2  # the repeated text is embedded once
    assert first.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-2)
    assert float(first[0] @ first[2]) == pytest.approx(1.0, abs=1e-3)

    again = enc.CachedEncoder(CountingEncoder(counting.base), tmp_path)  # a new process: only the disk
    second = again.encode(texts + ["A new text."])
    assert again.base.texts_encoded == 1  # type: ignore[attr-defined]
    np.testing.assert_allclose(second[:3], first, atol=1e-3)
    assert again.cached_fraction(texts) == 1.0


def test_static_encoder_is_distilled_once_and_reused(static_models: Path, tmp_path: Path) -> None:  # noqa: F811
    encoder = enc.get_encoder("static", cache_dir=tmp_path)
    vectors = encoder.encode(["PTSD trajectories after trauma.", "Bayesian structural equation models."])
    assert vectors.shape == (2, 256)
    assert (static_models / encoder.base.key / "model.safetensors").exists()  # type: ignore[union-attr]


def test_tfidf_encoder_needs_the_corpus_and_returns_sparse_unit_rows() -> None:
    with pytest.raises(ValueError, match="corpus"):
        enc.get_encoder("tfidf")
    encoder = enc.get_encoder("tfidf", corpus=["bayesian sem small samples", "ptsd trajectories", "sem ptsd"])
    rows = encoder.encode(["bayesian sem", "nothing known"])
    assert rows.shape[0] == 2
    assert np.linalg.norm(rows[0].toarray()) == pytest.approx(1.0)
    assert rows[1].nnz == 0
