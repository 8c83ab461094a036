"""`screening embed --ray`: the same encoders as Ray Data batches on a local Ray instance, the same cache."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.embed.plan import dense_encoders, distinct_sentences
from screening.embed.ray_runner import RayNotInstalled, connect
from screening.embed.service import embed_texts
from screening.rank.cache import text_key
from screening.rank.encoders import get_encoder
from screening.rank.project_data import load_records
from tests.rank_helpers import load_sample, static_models  # noqa: F401 (session fixture)
from tests.store_helpers import make_project


@pytest.fixture(scope="module")
def local_ray(static_models: Path) -> Iterator[None]:  # noqa: F811 - workers inherit its model folder
    """A Ray instance started by the test on this machine (2 CPUs), shut down afterwards."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"HF_HUB_OFFLINE": "1"}})
    yield
    ray.shutdown()


def sample_texts(n_records: int = 25) -> list[str]:
    records, _ = load_sample("Sep_2021")
    head = records.head(n_records)
    return distinct_sentences(head["title"].tolist(), head["abstract"].tolist())


def cached_vectors(name: str, cache_dir: Path, texts: list[str]) -> np.ndarray:
    encoder = get_encoder(name, cache_dir=cache_dir)
    found = encoder.cache.get([text_key(t) for t in texts])
    assert len(found) == len(texts)
    return np.vstack([found[text_key(t)] for t in texts])


def test_ray_writes_the_same_vectors_as_the_local_path(local_ray: None, tmp_path: Path) -> None:
    texts = sample_texts()
    local = embed_texts(["minilm", "static"], texts, tmp_path / "local", progress=False)
    on_ray = embed_texts(["minilm", "static"], texts, tmp_path / "ray", ray_address="local", workers=2,
                         progress=False)
    assert [r.embedded for r in on_ray] == [len(texts), len(texts)] and len(texts) > 100
    assert [r.cache_key for r in on_ray] == [r.cache_key for r in local]
    assert on_ray[0].cache_key.startswith("minilm-onnx-int8-")  # the driver's backend, run by the workers
    for name in ("minilm", "static"):
        np.testing.assert_array_equal(cached_vectors(name, tmp_path / "ray", texts),
                                      cached_vectors(name, tmp_path / "local", texts))
    again = embed_texts(["minilm"], texts, tmp_path / "ray", ray_address="local", progress=False)
    assert again[0].embedded == 0  # what is cached is not sent to the cluster again


def test_embed_command_on_ray_fills_the_cache_rank_reads(local_ray: None, tmp_path: Path) -> None:
    project = make_project(tmp_path, n_records=6)
    result = CliRunner().invoke(app, ["embed", str(project.path), "--ray", "local"])
    assert result.exit_code == 0, result.output
    assert "embedded ray" in result.output and "static" in result.output
    assert dense_encoders("auto", 6) == ["minilm", "static"]
    records = load_records(project)
    texts = distinct_sentences(records["title"].tolist(), records["abstract"].tolist())
    for name in ("minilm", "static"):
        assert f"{name} (" in result.output
        assert get_encoder(name, cache_dir=project.cache_dir).cached_fraction(texts) == 1.0
    project.close()


def test_without_ray_installed_the_message_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(RayNotInstalled, match=r'pip install "screening\[ray\]"'):
        connect("auto")


def test_the_core_never_imports_ray() -> None:
    import subprocess
    import sys

    code = ("import sys, screening.cli, screening.embed.service, screening.embed.ray_runner; "
            "sys.exit('ray' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
