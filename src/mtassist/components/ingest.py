from kfp.dsl import Dataset, Output

from mtassist.components.base import component


@component
def ingest(data_size: str, seed: int, cache_dir: str, dataset: Output[Dataset]) -> str:
    """Build the multi-task dataset from the packaged sources; returns its content hash."""
    from pathlib import Path

    from mtassist.settings import Settings
    from mtassist.stages import ingest as run_stage

    manifest = run_stage(Path(dataset.path), data_size, seed, Path(cache_dir or Settings.from_env().cache_dir))
    dataset.metadata.update({"version": manifest.version, "counts": manifest.counts})
    return manifest.version
