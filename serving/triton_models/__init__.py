"""The python-backend models, copied as `model.py` into the Triton model repository.

They run inside Triton's python-backend stub, where `triton_python_backend_utils` exists; they
import nothing else from Triton, and their decoding lives in `mtassist.answers`.
"""
