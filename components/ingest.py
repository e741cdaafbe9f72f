from kfp.dsl import Dataset, Output

from mtassist.components.base import component


@component
def ingest(data_size: str, seed: int, cache_dir: str, dataset: Output[Dataset]) -> str:
    """Build the multi-task dataset from the packaged sources; returns its content hash."""
    from pathlib import Path

    from mtassist.data.config import DatasetConfig
    from mtassist.data.dataset import build_dataset
    from mtassist.settings import Settings

    config = DatasetConfig.for_size(data_size, seed)
    manifest = build_dataset(Path(dataset.path), config, Path(cache_dir or Settings.from_env().cache_dir))
    dataset.metadata.update({"version": manifest.version, "counts": manifest.counts})
    return manifest.version
