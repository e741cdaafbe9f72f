"""Names shared by the repository builder, the generated configs and the python-backend models."""

MANIFEST = "mtassist-repository.json"
"""At the repository root: the version served, the previous one, the target, each version's graph and sha256."""
ONNX_MODEL_FILE = "model.onnx"
PYTHON_MODEL_FILE = "model.py"

PARAM_INTRA_OP_THREADS = "intra_op_thread_count"
"""The onnxruntime backend's own key; the local python encoder reads the same one."""
PARAM_TOP_K_REPLIES = "top_k_replies"

RATE_LIMIT_FLAG = "--rate-limit=execution_count"
"""The tritonserver flag that makes Triton honour each instance group's rate-limiter priority
(`model_configs.assistant_instance_groups`); without it the priorities are ignored and instances take turns."""
