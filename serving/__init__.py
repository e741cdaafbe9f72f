"""Serving on Triton (`mtassist.serving`): model repository, python-backend models, clients, launcher.

- `repository.build_model_repository`: installs a bundle's version into a Triton model repository,
  the previous version kept for rollback;
- `model_configs`: every config.pbtxt, described once with Triton's ModelConfig protobuf;
- `requests`: reading a request's tensors (the answering is `mtassist.assistant`);
- `triton_models/`: the python-backend models, copied as model.py into each version folder;
- `server_tree`, `ports`, `launcher.TritonServer`: the wheel's tritonserver, started and stopped locally;
- `client.AssistantClient`, `async_client.AsyncAssistantClient`: ask `assistant` over gRPC;
- `rollout`, `deploy`, `smoke`, `serve`: a version rolled out to a running server with no request
  failing, the pipeline's deploy and smoke-test steps, `mtassist deploy` and `mtassist serve`;
- `load`, `perf_analyzer`, `bench_serve`: concurrent clients, Triton's load generator, and
  `mtassist bench serve`.

Nothing heavy is imported here, so the Triton stubs import only what each model needs.
"""
