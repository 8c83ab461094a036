"""Build MiniLM's ONNX Runtime int8 model locally, at set-up, from the sha256-checked safetensors.

Why: int8 ONNX Runtime embeds sentences several times faster than torch on this CPU (see the model card),
and nothing is downloaded: the export reads the verified weights of the PyPI package. sentence-transformers'
own `backend="onnx"` goes through optimum-onnx, whose only release (0.1.0) requires transformers<4.58 while
sentence-transformers 6 requires transformers>=5 (pip: ResolutionImpossible), so this module makes the two
calls optimum would make itself: `torch.onnx.export` and `onnxruntime.quantization.quantize_dynamic`.
The result must have the sha256 recorded in the card; export and quantisation are deterministic for the
versions the card names (`onnx.built_with`).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from screening.rank.model_cards import ModelCard, ModelCardError, OnnxBuild, check_sha256, sha256_of
from screening.rank.model_paths import model_cache_dir, offline, packaged_model_dir

ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def onnx_build(card: ModelCard) -> OnnxBuild:
    if card.onnx is None:
        raise ModelCardError(f"{card.path}: model card {card.name!r} has no onnx section")
    return card.onnx


def onnx_path(card: ModelCard, model_dir: Path | None = None) -> Path:
    """Where the card's ONNX build lives: one folder per source weights, shared by all projects."""
    folder = (model_dir or model_cache_dir()) / f"{card.name}-onnx-{card.weights['sha256'][:12]}"
    return folder / onnx_build(card).file


def installed_versions(names: list[str]) -> dict[str, str]:
    found = {}
    for name in names:
        try:
            found[name] = version(name).split("+")[0]
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _export_fp32(source: Path, target: Path, opset: int) -> None:
    """The transformer's token embeddings as an ONNX graph with dynamic batch and sequence axes."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(source), attn_implementation="eager")
    model.eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    example = torch.ones((2, 16), dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in (*ONNX_INPUTS, "token_embeddings")}
    with torch.no_grad():
        torch.onnx.export(TokenEmbeddings(model), (example, example, torch.zeros_like(example)), str(target),
                          dynamo=False, input_names=list(ONNX_INPUTS), output_names=["token_embeddings"],
                          dynamic_axes=axes, opset_version=opset, do_constant_folding=True)


def _quantise(source: Path, target: Path, settings: dict) -> None:
    """Dynamic int8 quantisation of the weight matrices (activations are quantised per batch at run time)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    skip = settings.get("exclude_nodes_containing", [])
    excluded = [node.name for node in onnx.load(str(source), load_external_data=False).graph.node
                if any(part in node.name for part in skip)]
    quantize_dynamic(str(source), str(target), weight_type=getattr(QuantType, settings["weight_type"]),
                     per_channel=bool(settings["per_channel"]), reduce_range=False,
                     op_types_to_quantize=list(settings["op_types"]), nodes_to_exclude=excluded,
                     extra_options={"WeightSymmetric": bool(settings["weight_symmetric"])})


@contextmanager
def _quiet():  # type: ignore[no-untyped-def]
    """The tracer's and quantiser's advice (TracerWarning, "consider pre-processing") is not for users."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def build_onnx(card: ModelCard, model_dir: Path | None = None) -> Path:
    """Export + quantise the card's model unless a verified build exists; returns the verified file.

    Written to a temporary folder and moved into place only once its sha256 matches the card, so a failed
    or interrupted build leaves nothing that could be loaded.
    """
    build = onnx_build(card)
    target = onnx_path(card, model_dir)
    if target.exists():
        verify_onnx(card, target)
        return target
    offline()
    source = packaged_model_dir(card)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32, staged = Path(tmp) / "model_fp32.onnx", Path(tmp) / build.file
        with _quiet():
            _export_fp32(source, fp32, build.opset)
            _quantise(fp32, staged, build.quantisation)
        actual = sha256_of(staged)
        if actual != build.sha256:
            installed = installed_versions(list(build.built_with))
            raise ModelCardError(
                f"{target}: the ONNX build has sha256 {actual}, not {build.sha256} from model card {card.path}; "
                f"it was recorded with {build.built_with}, installed are {installed}. Install those versions, "
                f"or record the new sha256 in the card after checking its vectors (tests/test_rank_onnx.py)")
        shutil.move(str(staged), str(target))
    return target


def verify_onnx(card: ModelCard, path: Path) -> None:
    """The ONNX file must have the card's sha256 (it is built locally, so it could have been replaced)."""
    check_sha256(path, onnx_build(card).sha256, card, "ONNX build")
