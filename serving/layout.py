"""Names shared by the repository builder, the generated configs and the python-backend models."""

MANIFEST = "mtassist-repository.json"
"""At the repository root: what was built (model version, target, models, ONNX sha256)."""
MODEL_VERSION_DIR = "1"
ONNX_MODEL_FILE = "model.onnx"
PYTHON_MODEL_FILE = "model.py"

PARAM_INTRA_OP_THREADS = "intra_op_thread_count"
"""The onnxruntime backend's own key; the local python encoder reads the same one."""
PARAM_TOP_K_REPLIES = "top_k_replies"
