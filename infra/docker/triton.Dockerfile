# syntax=docker/dockerfile:1
# The serving image: NGC Triton (onnxruntime, TensorRT and python backends) plus mtassist, so the
# python-backend models (tokenizer, postprocess, assistant; encoder on the local target) import it.
#   docker build -f infra/docker/triton.Dockerfile -t ghcr.io/mtassist/mtassist-triton:0.1.0 .
# Build context: the repository root (ignore file: triton.Dockerfile.dockerignore beside this file).

# 25.06 = Triton 2.59, CUDA 12.9: needs NVIDIA driver >= 575 (or R535/R545 on data-center GPUs).
ARG TRITON_IMAGE=nvcr.io/nvidia/tritonserver:25.06-py3
FROM ${TRITON_IMAGE}

# The image's python is 3.12 (Ubuntu 24.04) while the distribution declares <3.12, and the
# models need only a few of its dependencies: install mtassist without its dependency tree and
# the serving pins from triton-requirements.txt into the interpreter the python backend runs.
WORKDIR /tmp/mtassist
COPY infra/docker/triton-requirements.txt ./
COPY pyproject.toml README.md ./
COPY mtassist ./mtassist
COPY components ./components
COPY pipelines ./pipelines
COPY serving ./serving
RUN export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
 && python3 -m pip install -r triton-requirements.txt \
 && python3 -m pip install --no-deps --ignore-requires-python . \
 && python3 -c "import mtassist.answers, mtassist.serving.requests, mtassist.tokenization, onnx, onnxruntime, threadpoolctl" \
 && rm -rf /tmp/mtassist

WORKDIR /opt/tritonserver
ENV PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
# The NGC image's non-root user (uid/gid 1000); no credentials baked in.
USER triton-server
# The NGC entrypoint stays (it sets up CUDA compatibility); models are loaded explicitly: all of
# /models at start, later ones through the model-control API by the pipeline's deploy step.
EXPOSE 8000 8001 8002
CMD ["tritonserver", "--model-repository=/models", "--model-control-mode=explicit", "--load-model=*", "--rate-limit=execution_count"]
