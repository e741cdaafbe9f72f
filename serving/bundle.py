"""Reading and checking the model bundle that `export` writes, before serving builds on it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from mtassist.answers import UNREGISTERED
from mtassist.contracts import (
    BUNDLE_CARD,
    BUNDLE_LABELS,
    BUNDLE_ONNX,
    BUNDLE_RESPONSE_EMBEDDINGS,
    BUNDLE_RESPONSE_TEXTS,
    BUNDLE_TOKENIZER_DIR,
    CARD_MAX_LENGTH,
    CARD_MODEL_VERSION,
    ONNX_INPUTS,
    ONNX_OUTPUTS,
)
from mtassist.errors import MtassistError
from mtassist.labels import LabelSpace
from mtassist.serving.model_configs import HeadDims

BUNDLE_FILES: tuple[str, ...] = (
    BUNDLE_ONNX,
    BUNDLE_TOKENIZER_DIR,
    BUNDLE_LABELS,
    BUNDLE_RESPONSE_TEXTS,
    BUNDLE_RESPONSE_EMBEDDINGS,
    BUNDLE_CARD,
)
CARD_KEYS: tuple[str, ...] = (CARD_MAX_LENGTH,)
"""The model card keys serving cannot do without (the model version is written by deploy)."""


class BundleError(MtassistError, ValueError):
    """A model bundle that serving cannot use."""


@dataclass(frozen=True)
class Bundle:
    """A checked model bundle: its folder, model card, label space and head sizes."""

    root: Path
    card: dict
    labels: LabelSpace
    dims: HeadDims
    onnx_external_data: tuple[str, ...] = ()
    """Files next to the ONNX graph that hold its weights (graphs over 2 GB), if any."""

    @property
    def model_version(self) -> str:
        return str(self.card.get(CARD_MODEL_VERSION, UNREGISTERED))

    @property
    def max_length(self) -> int:
        return int(self.card[CARD_MAX_LENGTH])

    def path(self, name: str) -> Path:
        return self.root / name


def read_bundle(bundle_dir: Path) -> Bundle:
    """Check a bundle against the contract and read what serving needs from it.

    Raises:
        BundleError: a missing file, a model card without a key serving reads, an ONNX graph
            whose tensor names differ from the contract, or head sizes that disagree between
            the graph, labels.json and the response bank.
    """
    root = Path(bundle_dir)
    if not root.is_dir():
        raise BundleError(f"no model bundle at {root}: export a model first (`mtassist run`)")
    missing = [name for name in BUNDLE_FILES if not (root / name).exists()]
    if missing:
        raise BundleError(f"the model bundle at {root} lacks {', '.join(missing)}: export it again")
    card = json.loads((root / BUNDLE_CARD).read_text())
    missing_keys = [key for key in CARD_KEYS if key not in card]
    if missing_keys:
        raise BundleError(f"{root / BUNDLE_CARD} has no {', '.join(missing_keys)}: export the bundle again")
    try:
        labels = LabelSpace.load(root / BUNDLE_LABELS)
    except ValueError as error:
        raise BundleError(f"{root / BUNDLE_LABELS}: {error}") from error
    texts = json.loads((root / BUNDLE_RESPONSE_TEXTS).read_text())
    embeddings = np.load(root / BUNDLE_RESPONSE_EMBEDDINGS, mmap_mode="r")
    if embeddings.ndim != 2 or embeddings.shape[0] != len(texts):
        raise BundleError(
            f"the response bank has {len(texts)} texts but embeddings of shape {list(embeddings.shape)}: "
            "export the bundle again"
        )
    dims = HeadDims(
        n_route=len(labels.route),
        n_intent=len(labels.intent),
        n_slot_tags=len(labels.slot_tags),
        n_sentiment=len(labels.sentiment),
        embedding_dim=int(embeddings.shape[1]),
    )
    external = _check_onnx(root / BUNDLE_ONNX, dims)
    return Bundle(root=root, card=card, labels=labels, dims=dims, onnx_external_data=external)


def _check_onnx(path: Path, dims: HeadDims) -> tuple[str, ...]:
    """Check tensor names and head sizes; return the files holding external weights, if any."""
    model = onnx.load(str(path), load_external_data=False)
    graph = model.graph
    initializers = {tensor.name for tensor in graph.initializer}
    inputs = tuple(i.name for i in graph.input if i.name not in initializers)
    outputs = {o.name: o for o in graph.output}
    if set(inputs) != set(ONNX_INPUTS) or set(outputs) != set(ONNX_OUTPUTS):
        raise BundleError(
            f"{path} has inputs {list(inputs)} and outputs {list(outputs)}; the contract is "
            f"inputs {list(ONNX_INPUTS)} and outputs {list(ONNX_OUTPUTS)}: export it again"
        )
    for name, expected in dims.output_dims().items():
        shape = outputs[name].type.tensor_type.shape.dim
        actual = [d.dim_value if d.HasField("dim_value") else -1 for d in shape][1:]
        if not _dims_agree(actual, expected):
            raise BundleError(
                f"{path}: output {name} has dims {actual} after the batch axis, but the label space "
                f"and response bank say {expected}: the graph and labels.json come from different exports"
            )
    return _external_data_files(graph)


def _dims_agree(actual: list[int], expected: list[int]) -> bool:
    """Equal ranks, and every size fixed in both is the same (-1: symbolic or the sequence)."""
    return len(actual) == len(expected) and all(a == e or -1 in (a, e) for a, e in zip(actual, expected))


def _external_data_files(graph: onnx.GraphProto) -> tuple[str, ...]:
    return tuple(
        sorted(
            {
                entry.value
                for tensor in graph.initializer
                if tensor.data_location == onnx.TensorProto.EXTERNAL
                for entry in tensor.external_data
                if entry.key == "location"
            }
        )
    )
