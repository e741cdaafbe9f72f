"""ingest: the dataset artifact, named by the SHA-256 of its content."""

import hashlib
from pathlib import Path

import pytest
from kfp.dsl import Dataset

from mtassist.components.ingest import ingest
from mtassist.contracts import ALL_SPLITS, DATASET_EXAMPLES, DATASET_LABELS


def test_ingest_returns_the_content_hash_and_records_counts(ingested):
    dataset, version = ingested
    folder = Path(dataset.path)
    digest = hashlib.sha256((folder / DATASET_EXAMPLES).read_bytes() + (folder / DATASET_LABELS).read_bytes())
    assert version == digest.hexdigest() == dataset.metadata["version"]
    assert set(dataset.metadata["counts"]) == set(ALL_SPLITS)
    assert dataset.metadata["counts"]["test"]["intent"] > 0


def test_ingest_with_an_unknown_size_names_the_sizes(tmp_path, source_cache):
    with pytest.raises(ValueError, match="unknown data size 'huge': choose one of default, small"):
        ingest.python_func(data_size="huge", seed=13, cache_dir=str(source_cache), dataset=Dataset(uri=str(tmp_path)))
