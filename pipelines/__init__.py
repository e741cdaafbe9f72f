"""The Kubeflow pipeline (`mtassist.pipelines`): its definition, Kubernetes settings, and how it runs.

- `training.training_pipeline`: the twelve steps, from ingest to smoke test;
- `kubernetes`: GPU nodes, the state volume, settings and credentials, attached per task;
- `runner`: the local run through kfp's subprocess runner, compile to YAML, submit to a cluster.
"""
