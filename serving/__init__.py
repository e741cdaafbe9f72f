"""Serving on Triton (`mtassist.serving`): model repository, python-backend models, client, launcher.

- `repository.build_model_repository`: a self-contained Triton model repository from a bundle;
- `model_configs`: every config.pbtxt, described once with Triton's ModelConfig protobuf;
- `requests`: reading a request's tensors (decoding the heads is `mtassist.answers`);
- `triton_models/`: the python-backend models, copied as model.py into the repository;
- `server_tree`, `ports`, `launcher.TritonServer`: the wheel's tritonserver, started and stopped locally;
- `client.AssistantClient`: asks `assistant` over gRPC, loads and unloads models;
- `deploy`, `smoke`, `serve`: the pipeline's deploy and smoke-test steps, and `mtassist serve`.

Nothing heavy is imported here, so the Triton stubs import only what each model needs.
"""
