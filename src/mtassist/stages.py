"""The pipeline's steps as plain functions over local paths.

Each KFP component in `mtassist.components` parses its arguments, calls one function here and
writes its artifacts; tests call these functions directly. Artifact layout between steps:

| step           | writes                                                             |
|----------------|--------------------------------------------------------------------|
| ingest         | dataset dir: examples.jsonl, labels.json, manifest.json            |
| train_teacher  | model dir: encoder/, heads.pt, labels.json, tokenizer/, run.json   |
| distill        | model dir, as above, with fewer encoder layers                     |
| evaluate       | evaluation.json ({"teacher": metrics, "student": metrics, ...})    |
| export         | bundle dir (contracts.BUNDLE_*)                                    |
| deploy         | Triton model repository                                            |
"""

from __future__ import annotations

import json
import logging
import shutil
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from mtassist.contracts import BUNDLE_CARD, CHAMPION_ALIAS, SPLITS
from mtassist.core.dataset import load_examples, load_labels, load_manifest
from mtassist.core.distillation import DistillationConfig, distillation_loss
from mtassist.core.labels import LabelSpace
from mtassist.core.modeling import MultiTaskModel, build_model, student_from_teacher
from mtassist.core.model_source import resolve_model_source
from mtassist.core.tokenization import load_tokenizer
from mtassist.core.training import TrainingConfig, TrainingResult, train
from mtassist.errors import MtassistError

if TYPE_CHECKING:
    from mtassist.contracts import Ports
    from mtassist.settings import Settings

log = logging.getLogger(__name__)

TOKENIZER_DIR = "tokenizer"
RUN_FILE = "run.json"
RESPONSE_BANK_LIMIT = 3000
DATA_SIZES = ("default", "small")
SMOKE_EXAMPLES: dict[str, dict[str, str]] = {
    "turn on the kitchen lights": {"route": "command", "intent": "HassTurnOn", "area": "kitchen"},
    "how are you doing today?": {"route": "chitchat"},
}


def open_tracking(tracking_uri: str = "") -> "Settings":
    """Settings with the given tracking URI (or the environment's), and MLflow pointed at it."""
    from mtassist.core.registry import use_tracking
    from mtassist.settings import Settings

    settings = Settings.from_env(tracking_uri=tracking_uri or None)
    use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    return settings


def ingest(output_dir: Path, data_size: str, seed: int, cache_dir: Path):
    """Build the dataset at a named size: `default` for real runs, `small` for tests and smoke runs."""
    from mtassist.core.dataset import DatasetConfig, build_dataset

    if data_size not in DATA_SIZES:
        raise ValueError(f"unknown data size '{data_size}': choose one of {', '.join(DATA_SIZES)}")
    config = DatasetConfig.small(seed=seed) if data_size == "small" else DatasetConfig(seed=seed)
    return build_dataset(output_dir, config, cache_dir)


def rows_by_split(dataset_dir: Path) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {split: [] for split in SPLITS}
    for row in load_examples(dataset_dir):
        rows[row["split"]].append(row)
    return rows


def _save_model(model: MultiTaskModel, tokenizer, output_dir: Path, run: dict) -> None:
    model.save(output_dir)
    tokenizer.save_pretrained(output_dir / TOKENIZER_DIR)
    (output_dir / RUN_FILE).write_text(json.dumps(run, indent=1))


def load_trained(model_dir: Path) -> tuple[MultiTaskModel, object, dict]:
    model_dir = Path(model_dir)
    return (
        MultiTaskModel.load(model_dir),
        load_tokenizer(model_dir / TOKENIZER_DIR),
        json.loads((model_dir / RUN_FILE).read_text()),
    )


def _log_training(result: TrainingResult) -> dict[str, float]:
    import mlflow

    best = next((h for h in result.history if h["step"] == result.best_step), {})
    summary = {"best_validation_score": result.best_score, "best_step": result.best_step, "steps": result.steps}
    mlflow.log_metrics({**_prefixed(best, "best_validation_"), **summary})
    return summary


def train_teacher(
    dataset_dir: Path, output_dir: Path, model_source: str, cache_dir: Path, config: TrainingConfig
) -> dict:
    """Fine-tune the pretrained encoder with every head; returns the run record (MLflow run id)."""
    import mlflow

    from mtassist.core.registry import tracked_run

    source = resolve_model_source(model_source, cache_dir)
    labels = LabelSpace.from_dict(load_labels(dataset_dir))
    tokenizer = load_tokenizer(source)
    model = build_model(source, labels)
    version = load_manifest(dataset_dir)["version"]
    rows = rows_by_split(dataset_dir)
    with tracked_run("train_teacher", tags={"mtassist.step": "train_teacher", "dataset_version": version}) as run:
        mlflow.log_params({**config.to_params(), "model_source": model_source, "layers": model.num_layers})
        result = train(
            model, tokenizer, rows["train"], rows["validation"], config,
            checkpoint_dir=output_dir / "checkpoint", description="teacher",
            on_eval=lambda step, metrics: mlflow.log_metrics(_prefixed(metrics, "validation_"), step=step),
        )
        summary = _log_training(result)
    record = {"run_id": run.info.run_id, "dataset_version": version, "model_source": model_source,
              "max_length": config.max_length, **summary}
    shutil.rmtree(output_dir / "checkpoint", ignore_errors=True)
    _save_model(model, tokenizer, output_dir, record)
    return record


def distill_student(
    dataset_dir: Path, teacher_dir: Path, output_dir: Path, config: TrainingConfig, distill: DistillationConfig
) -> dict:
    """Distil the teacher into a student with `distill.student_layers` layers."""
    import mlflow

    from mtassist.core.registry import tracked_run

    teacher, tokenizer, teacher_run = load_trained(teacher_dir)
    student = student_from_teacher(teacher, distill.student_layers)
    tags = {"mtassist.step": "distill_student", "dataset_version": teacher_run["dataset_version"],
            "teacher_run_id": teacher_run["run_id"]}
    rows = rows_by_split(dataset_dir)
    with tracked_run("distill_student", tags=tags) as run:
        mlflow.log_params({**config.to_params(), **distill.to_params()})
        result = train(
            student, tokenizer, rows["train"], rows["validation"], config,
            loss_fn=distillation_loss(teacher, distill, config.response_scale),
            checkpoint_dir=output_dir / "checkpoint", description="student",
            on_eval=lambda step, metrics: mlflow.log_metrics(_prefixed(metrics, "validation_"), step=step),
        )
        summary = _log_training(result)
    record = {"run_id": run.info.run_id, "teacher_run_id": teacher_run["run_id"],
              "dataset_version": teacher_run["dataset_version"], "model_source": teacher_run["model_source"],
              "max_length": config.max_length, **summary}
    shutil.rmtree(output_dir / "checkpoint", ignore_errors=True)
    _save_model(student, tokenizer, output_dir, record)
    return record


def evaluate(dataset_dir: Path, model_dirs: dict[str, Path]) -> dict:
    """Every head of every model on the test split: {"models": {name: {metrics, confusion}}, "labels": ...}."""
    from mtassist.core.evaluation import evaluate as evaluate_heads

    test_rows = rows_by_split(dataset_dir)["test"]
    results: dict[str, dict] = {}
    labels: dict = {}
    for name, directory in model_dirs.items():
        model, tokenizer, run = load_trained(directory)
        evaluation = evaluate_heads(model, tokenizer, test_rows, run["max_length"])
        results[name] = {"metrics": evaluation.metrics, "confusion": evaluation.confusion}
        labels = model.labels.to_dict()
        log.info("%s test score %.4f", name, evaluation.metrics["score"])
    return {"models": results, "labels": labels, "test_rows": len(test_rows)}


def report_markdown(evaluation: dict) -> str:
    """A Markdown table of every metric, one column per model."""
    names = list(evaluation["models"])
    metrics = list(next(iter(evaluation["models"].values()))["metrics"])
    lines = [f"# mtassist evaluation ({evaluation['test_rows']} test rows)", "",
             "| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for metric in metrics:
        values = " | ".join(f"{evaluation['models'][n]['metrics'][metric]:.4f}" for n in names)
        lines.append(f"| {metric} | {values} |")
    return "\n".join(lines) + "\n"


def response_bank(rows: Sequence[dict], limit: int = RESPONSE_BANK_LIMIT) -> list[str]:
    """Distinct replies of the training rows, in first-seen order, at most `limit`."""
    seen: dict[str, None] = {}
    for row in rows:
        if row["response"] and len(seen) < limit:
            seen.setdefault(row["response"].strip(), None)
    return list(seen)


def export(dataset_dir: Path, student_dir: Path, bundle_dir: Path) -> dict:
    """The student as a serving bundle; fails when ONNX parity is outside tolerance."""
    from mtassist.core.export import export_bundle

    student, tokenizer, run = load_trained(student_dir)
    card = {"dataset_version": run["dataset_version"], "student_run_id": run["run_id"],
            "teacher_run_id": run["teacher_run_id"], "model_source": run["model_source"]}
    bank = response_bank(rows_by_split(dataset_dir)["train"])
    return export_bundle(student, tokenizer, bundle_dir, bank, card, run["max_length"])


def register(bundle_dir: Path, student_metrics: dict[str, float], git_commit: str) -> dict:
    """Register the bundle as a new version aliased `challenger`, with its lineage."""
    from mtassist.core.registry import register_bundle

    card = json.loads((Path(bundle_dir) / BUNDLE_CARD).read_text())
    lineage = {key: str(card[key]) for key in ("dataset_version", "teacher_run_id", "student_run_id", "onnx_sha256")}
    lineage["git_commit"] = git_commit
    metrics = {**student_metrics, "latency_p50_ms": card["latency_p50_ms"], "latency_p95_ms": card["latency_p95_ms"]}
    version = register_bundle(Path(bundle_dir), metrics, lineage)
    return asdict(version)


def promote(version: str, latency_budget_ms: float) -> dict:
    """Move `champion` to the challenger if the gate says so; the earlier champion stays otherwise."""
    from mtassist.core.promotion import GateConfig, decide
    from mtassist.core.registry import RegisteredVersion, set_alias, version_by_alias, version_metrics

    challenger = version_by_alias("challenger")
    if challenger is None or challenger.version != version:
        raise RuntimeError(f"version {version} is not the challenger; register it before promoting")
    champion = version_by_alias(CHAMPION_ALIAS)
    previous = champion.version if champion else ""
    champion_metrics = version_metrics(champion) if champion and champion.version != version else None
    decision = decide(version_metrics(challenger), champion_metrics, GateConfig(latency_budget_ms=latency_budget_ms))
    if decision.promote:
        set_alias(CHAMPION_ALIAS, version)
    current: RegisteredVersion | None = version_by_alias(CHAMPION_ALIAS)
    verdict = "promoted to champion" if decision.promote else "not promoted"
    log.info("version %s %s: %s", version, verdict, decision.reason)
    return {"promoted": decision.promote, "reason": decision.reason, "champion": current.version if current else "",
            "previous_champion": previous}


class RolloutFailed(MtassistError):
    """Deploying or smoke-testing the champion failed; the earlier champion was put back."""


@contextmanager
def champion_restored_on_failure(previous_champion: str, redeploy: Callable[[], object] | None = None) -> Iterator[None]:
    """On any failure inside, point `champion` back at `previous_champion` (or remove it when
    there was none) and, with `redeploy`, serve that version again; then raise RolloutFailed."""
    from mtassist.core.registry import remove_alias, set_alias, version_by_alias

    try:
        yield
    except Exception as error:
        current = version_by_alias(CHAMPION_ALIAS)
        if current is None or current.version == previous_champion:
            raise
        if previous_champion:
            set_alias(CHAMPION_ALIAS, previous_champion)
            if redeploy is not None:
                redeploy()
            restored = f"champion is version {previous_champion} again"
        else:
            remove_alias(CHAMPION_ALIAS)
            restored = "the champion alias was removed, as before this run"
        raise RolloutFailed(f"{error} -- version {current.version} was not released: {restored}") from error


def _prefixed(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    return {prefix + k: float(v) for k, v in metrics.items() if k != "step"}


def deploy(model_repository: Path, triton_url: str = "", reference: str = CHAMPION_ALIAS, target: str = "local") -> str:
    """Build the Triton model repository from a registered version (the champion by default).

    The repository is written beside the old one and swapped in model by model, so a failed
    build leaves the serving repository as it was. With `triton_url`, the server there reloads
    the models through its model-control API. Returns the deployed version.
    """
    import tempfile

    from mtassist.core.registry import download_bundle
    from mtassist.serving.repository import build_model_repository

    model_repository.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bundle-", dir=model_repository.parent) as scratch:
        bundle_dir, version = download_bundle(reference, Path(scratch))
        card_path = bundle_dir / BUNDLE_CARD
        card_path.write_text(json.dumps({**json.loads(card_path.read_text()), "model_version": version.version}))
        build_model_repository(bundle_dir, model_repository, target=target)
    log.info("model repository %s now holds version %s", model_repository, version.version)
    if triton_url:
        from mtassist.serving.client import AssistantClient
        from mtassist.serving.repository import read_manifest

        with AssistantClient(triton_url) as client:
            client.load_models(read_manifest(model_repository)["models"])
    return version.version


def check_smoke_answers(answers: dict[str, dict]) -> list[str]:
    """What is wrong with the answers to SMOKE_EXAMPLES (empty when all are right)."""
    problems = []
    for text, expected in SMOKE_EXAMPLES.items():
        answer = answers[text]
        if answer.get("route", {}).get("label") != expected["route"]:
            problems.append(f"'{text}': route {answer.get('route')} instead of {expected['route']}")
        if "intent" in expected and answer.get("intent", {}).get("label") != expected["intent"]:
            problems.append(f"'{text}': intent {answer.get('intent')} instead of {expected['intent']}")
        if "area" in expected and {"name": "area", "value": expected["area"]} not in [
            {"name": s["name"], "value": s["value"]} for s in answer.get("slots", [])
        ]:
            problems.append(f"'{text}': slots {answer.get('slots')} lack area={expected['area']}")
        if expected["route"] != "command" and not answer.get("replies"):
            problems.append(f"'{text}': no replies")
    return problems


def smoke_test(model_repository: Path, triton_url: str, expected_version: str, check_answers: bool) -> dict[str, dict]:
    """Ask the served model the smoke examples over gRPC; starts a local server when no URL is given.

    Raises:
        RuntimeError: when an answer breaks the contract, comes from another model version, or
            (with `check_answers`) is wrong.
    """
    from mtassist.serving.client import AssistantClient
    from mtassist.serving.launcher import TritonServer, free_ports

    texts = list(SMOKE_EXAMPLES)
    if triton_url:
        with AssistantClient(triton_url) as client:
            answers = client.ask(texts)
    else:
        with TritonServer(model_repository, ports=free_ports()) as server, AssistantClient(server.grpc_url) as client:
            answers = client.ask(texts)
    by_text = dict(zip(texts, answers))
    for text, answer in by_text.items():
        print(f"  {text!r} -> {json.dumps(answer, ensure_ascii=False)}", flush=True)
    problems = [
        f"'{text}': served model version {answer.get('model_version')} instead of {expected_version}"
        for text, answer in by_text.items()
        if expected_version and answer.get("model_version") != expected_version
    ]
    if check_answers:
        problems += check_smoke_answers(by_text)
    if problems:
        raise RuntimeError("smoke test failed: " + "; ".join(problems))
    return by_text


def serve_forever(settings: "Settings", reference: str, ports: "Ports") -> None:
    """Deploy a registered version into the local repository and serve it until interrupted."""
    import signal
    import sys

    from mtassist.core.registry import use_tracking
    from mtassist.serving.launcher import TritonServer, check_ports_free

    check_ports_free(ports)
    use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    version = deploy(settings.model_repository, reference=reference)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with SIGINT ignored
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with TritonServer(settings.model_repository, ports=ports) as server:
        print(
            f"Triton serves {reference} (version {version}) on gRPC {server.grpc_url}, HTTP {server.http_url}, "
            f"metrics {server.metrics_url}; log in {server.log_path}. Ctrl-C stops it.",
            flush=True,
        )
        signal.pause()
