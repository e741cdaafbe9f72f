"""Bad input stops the pipeline early with one clear error and leaves the registry untouched."""

import pytest

from mtassist.pipelines.runner import PipelineFailed, RunOptions, run_locally
from mtassist.settings import Settings

pytestmark = pytest.mark.slow


def test_corrupt_source_stops_the_pipeline_at_ingest_and_registers_nothing(tmp_path):
    sources = tmp_path / "cache" / "sources"
    sources.mkdir(parents=True)
    (sources / "vaderSentiment-3.3.2.tar.gz").write_bytes(b"this is not a tarball")
    settings = Settings(home=tmp_path)
    with pytest.raises(PipelineFailed) as failure:
        run_locally(settings, RunOptions(data_size="small"))
    message = str(failure.value)
    assert "'ingest'" in message and "SourceError" in message and "vaderSentiment" in message
    assert not (tmp_path / "mlflow.db").exists()
    assert not (tmp_path / "model-repository").exists()
