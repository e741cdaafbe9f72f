"""Serving on Triton: model repository, python-backend models, gRPC client, local server.

- `repository.build_model_repository`: a self-contained Triton model repository from a bundle;
- `model_configs`: every config.pbtxt, described once with Triton's ModelConfig protobuf;
- `answers`: request parsing and decoding of every head (used inside the Triton models);
- `triton_models/`: the python-backend models, copied as model.py into the repository;
- `launcher.TritonServer`: the wheel's tritonserver, started and stopped locally;
- `client.AssistantClient`: asks `assistant` over gRPC, loads and unloads models.

Nothing heavy is imported here, so the Triton stubs import only what each model needs.
"""
