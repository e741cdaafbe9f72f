"""ONNX Runtime sessions: the graph rewrites left out really are, and the graph computes the same."""

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from mtassist.inference import DISABLED_OPTIMIZERS, onnx_session


def _residual_layer_norm() -> bytes:
    """x + y, then LayerNormalization: what ONNX Runtime fuses into SkipLayerNormalization."""
    hidden = 8
    graph = helper.make_graph(
        [
            helper.make_node("Add", ["x", "y"], ["sum"]),
            helper.make_node("LayerNormalization", ["sum", "scale", "bias"], ["out"], axis=-1, epsilon=1e-12),
        ],
        "residual",
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, 4, hidden]) for name in ("x", "y")],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 4, hidden])],
        [
            numpy_helper.from_array(np.full(hidden, 2.0, dtype=np.float32), "scale"),
            numpy_helper.from_array(np.full(hidden, 0.5, dtype=np.float32), "bias"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def _optimized_ops(graph: bytes, disabled: list[str], tmp_path: Path) -> list[str]:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"], disabled_optimizers=disabled)
    return [node.op_type for node in onnx.load(options.optimized_model_filepath).graph.node]


def test_the_disabled_optimizer_names_are_ones_onnx_runtime_knows(tmp_path: Path) -> None:
    # ONNX Runtime ignores a name it does not know: a renamed rewrite would silently come back.
    graph = _residual_layer_norm()
    assert "SkipLayerNormalization" in _optimized_ops(graph, [], tmp_path)
    assert _optimized_ops(graph, list(DISABLED_OPTIMIZERS), tmp_path) == ["Add", "LayerNormalization"]


def test_a_session_without_the_fusion_computes_the_layer_norm() -> None:
    rng = np.random.default_rng(0)
    x, y = (rng.normal(size=(1, 4, 8)).astype(np.float32) for _ in range(2))
    (out,) = onnx_session(_residual_layer_norm()).run(None, {"x": x, "y": y})
    total = x + y
    normalised = (total - total.mean(-1, keepdims=True)) / np.sqrt(total.var(-1, keepdims=True) + 1e-12)
    np.testing.assert_allclose(out, normalised * 2.0 + 0.5, rtol=1e-5, atol=1e-5)
