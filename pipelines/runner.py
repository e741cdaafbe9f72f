"""Running the pipeline: locally through kfp's subprocess runner, compiled for a cluster, or submitted.

The local run hands every location to the pipeline as a parameter resolved from `Settings`,
so the components write where the CLI reads, and the same pipeline takes cluster locations
as parameters (or from its config map) in Kubeflow.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import os
import re
import sys
import warnings
from dataclasses import asdict
from pathlib import Path

from mtassist.contracts import MLFLOW_EXPERIMENT
from mtassist.errors import MtassistError
from mtassist.options import RunOptions
from mtassist.settings import Settings


class PipelineFailed(MtassistError):
    """A pipeline step failed; its own error is in the log above."""


def pipeline_arguments(settings: Settings, options: RunOptions, git_commit: str) -> dict[str, object]:
    return {
        **asdict(options),
        "model_source": settings.model_source,
        "tracking_uri": settings.resolved_tracking_uri,
        "cache_dir": str(settings.cache_dir),
        "model_repository": str(settings.model_repository),
        "triton_url": "",
        "git_commit": git_commit,
    }


_ERROR_LINE = re.compile(r"^\s*(?:[A-Za-z_][\w.]*\.)?(\w+(?:Error|Exception|Failed)): (.*)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _StdoutTail(io.TextIOBase):
    """Passes writes through to stdout and keeps the last lines, to name a failed step's error."""

    def __init__(self, stream, keep: int = 400) -> None:
        self.stream = stream
        self.lines: collections.deque[str] = collections.deque(maxlen=keep)

    def write(self, text: str) -> int:
        self.lines.extend(text.splitlines())
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def last_error(self) -> str:
        """The last exception line a step printed, with the lines its message continues on."""
        lines = [_ANSI.sub("", line) for line in self.lines]
        for index in range(len(lines) - 1, -1, -1):
            match = _ERROR_LINE.match(lines[index])
            if match:
                message = [match.group(1) + ": " + match.group(2).strip()]
                for line in lines[index + 1 :]:
                    if (
                        not line.strip()
                        or line.lstrip().startswith(("[KFP", "Traceback"))
                        or re.match(r"^\d\d:\d\d", line)
                    ):
                        break
                    message.append(line.strip())
                return "\n".join(message)
        return ""


def run_locally(settings: Settings, options: RunOptions) -> dict[str, dict]:
    """Run every step in this Python environment, one subprocess per step.

    Returns:
        The smoke test's answers, by utterance.

    Raises:
        PipelineFailed: naming the step that failed.
    """
    from kfp import local

    from mtassist.lineage import git_commit
    from mtassist.pipelines.training import training_pipeline

    os.environ["MTASSIST_HOME"] = str(settings.home)
    os.environ.setdefault("PIP_NO_INDEX", "1")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    settings.pipeline_root.mkdir(parents=True, exist_ok=True)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(settings.pipeline_root))
    tail = _StdoutTail(sys.stdout)
    with warnings.catch_warnings(), contextlib.redirect_stdout(tail):
        warnings.filterwarnings(
            "ignore", message=".*(non-Python base image|have no effect in the current local runner).*"
        )
        try:
            finished = training_pipeline(**pipeline_arguments(settings, options, git_commit()))
        except RuntimeError as error:
            summary = _ANSI.sub("", str(error).splitlines()[0])
            cause = tail.last_error()
            raise PipelineFailed(
                f"{summary}\n{cause}" if cause else f"{summary} Its error is in the log above."
            ) from error
    return json.loads(finished.output)


def compile_pipeline(output: Path) -> Path:
    from kfp import compiler

    from mtassist.pipelines.training import training_pipeline

    output.parent.mkdir(parents=True, exist_ok=True)
    compiler.Compiler().compile(training_pipeline, package_path=str(output))
    return output


_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")
_KIND_WORDS = {int: "a whole number", float: "a number"}


def typed_arguments(pairs: list[str]) -> dict[str, object]:
    """NAME=VALUE strings as pipeline arguments of the types the pipeline declares ("true" for a bool).

    Raises:
        ValueError: a pair without "=", a name the pipeline does not take (the message lists
            them), or a value its parameter's type cannot take.
    """
    import inspect

    from mtassist.pipelines.training import training_pipeline

    parameters = inspect.signature(training_pipeline.pipeline_func).parameters
    arguments: dict[str, object] = {}
    for pair in pairs:
        name, equals, text = pair.partition("=")
        if not equals:
            raise ValueError(f"{pair!r} is not NAME=VALUE")
        if name not in parameters:
            raise ValueError(f"the pipeline has no parameter {name!r}; it takes {', '.join(parameters)}")
        kind = parameters[name].annotation
        kind = {"bool": bool, "int": int, "float": float, "str": str}.get(kind, kind)  # postponed annotations
        if kind is bool:
            if text.lower() not in _TRUE + _FALSE:
                raise ValueError(f"{name} is true or false, not {text!r}")
            arguments[name] = text.lower() in _TRUE
        else:
            try:
                arguments[name] = kind(text)
            except ValueError as error:
                raise ValueError(f"{name} takes {_KIND_WORDS.get(kind, kind.__name__)}, not {text!r}") from error
    return arguments


def submit(host: str, arguments: dict[str, object], experiment: str = MLFLOW_EXPERIMENT) -> str:
    """Start a run on a Kubeflow Pipelines endpoint; returns the run id."""
    import kfp

    from mtassist.pipelines.training import training_pipeline

    client = kfp.Client(host=host)
    run = client.create_run_from_pipeline_func(training_pipeline, arguments=arguments, experiment_name=experiment)
    return run.run_id


def latest_local_run(settings: Settings, run: str | None = None) -> dict[str, Path]:
    """The artifacts of a finished local run: "dataset", "evaluation", "teacher", "student", "bundle".

    kfp's local runner writes `<pipeline root>/<run>/<task>/<artifact>`; a run counts when its
    evaluate step wrote its evaluation. `run` names one (its folder under the pipeline root, or
    any path to it); default the newest.

    Raises:
        PipelineFailed: when no local run has got that far, or the named one has not.
    """
    wanted = {
        "dataset": ("ingest", "dataset"),
        "evaluation": ("evaluate", "evaluation"),
        "teacher": ("train-teacher", "teacher"),
        "student": ("distill-student", "student"),
        "bundle": ("export", "bundle"),
    }
    runs = sorted(settings.pipeline_root.glob("*/evaluate/evaluation"), key=lambda p: p.stat().st_mtime, reverse=True)
    if run is not None:
        run_dir = Path(run) if Path(run).is_dir() else settings.pipeline_root / run
        if not (run_dir / "evaluate" / "evaluation").exists():
            finished = ", ".join(path.parent.parent.name for path in runs[:5]) or "none"
            raise PipelineFailed(
                f"{run} is not a finished local pipeline run (no evaluate/evaluation in {run_dir}); "
                f"the newest finished ones under {settings.pipeline_root}: {finished}"
            )
    elif not runs:
        raise PipelineFailed(f"no finished local pipeline run under {settings.pipeline_root}: run `mtassist run` first")
    else:
        run_dir = runs[0].parent.parent
    return {name: run_dir / task / artifact for name, (task, artifact) in wanted.items()}
