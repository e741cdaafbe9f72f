"""The mtassist training pipeline (Kubeflow Pipelines v2).

Steps:
 1. ingest           build the multi-task dataset from the packaged sources; its hash is its version
 2. validate         Great Expectations suite; a failure stops the run before training
 3. train_teacher    fine-tune the pretrained encoder with every head (a GPU node in a cluster)
 4. distill_student  distil the teacher into a student with fewer layers (a GPU node in a cluster)
 5. evaluate         every head of teacher and student on the held-out splits
 6. release_teacher  with `release_on_every_split`, the teacher trained again on every split for
                    the steps it kept; otherwise the evaluated teacher as it is (a GPU node in a cluster)
 7. release_student  the same for the student, distilled from the released teacher (a GPU node)
 8. export           ONNX with dynamic axes, parity-checked against PyTorch, packed as a bundle
 9. register         MLflow model version with lineage and the evaluated models' held-out metrics,
                    alias `challenger`
10. promote          `champion` moves to the challenger only if it passes the gate, which scores
                    the champion on the challenger's test split too
11. deploy           Triton model repository from the champion, loaded by the server
12. smoke_test       gRPC calls that must answer correctly

If deploy or the smoke test fails, `champion` goes back to the version it named before step 10.
Steps 6 and 7 always run, so that the local runner and a cluster take the same graph (kfp's local
runner cannot pick between the artifacts of two branches).

Its output is the smoke test's answers (JSON). Run it locally with `mtassist run`; compile it
for a cluster with `mtassist pipeline compile`.
"""

from kfp import dsl

from mtassist.components.deploy import deploy
from mtassist.components.distill_student import distill_student
from mtassist.components.evaluate import evaluate
from mtassist.components.export import export
from mtassist.components.ingest import ingest
from mtassist.components.promote import promote
from mtassist.components.register import register
from mtassist.components.release_student import release_student
from mtassist.components.release_teacher import release_teacher
from mtassist.components.smoke_test import smoke_test
from mtassist.components.train_teacher import train_teacher
from mtassist.components.validate import validate
from mtassist.contracts import SERVING_LOCAL
from mtassist.lineage import UNKNOWN
from mtassist.options import DEFAULTS
from mtassist.pipelines.kubernetes import on_cluster_state, on_gpu_node
from mtassist.settings import DEFAULT_MODEL_SOURCE

PIPELINE_NAME = "mtassist-training"


@dsl.pipeline(
    name=PIPELINE_NAME, description="Train, distil, register, promote and serve the mtassist multi-task model."
)
def training_pipeline(
    data_size: str = DEFAULTS.data_size,
    seed: int = DEFAULTS.seed,
    model_source: str = DEFAULT_MODEL_SOURCE,
    teacher_epochs: float = DEFAULTS.teacher_epochs,
    student_epochs: float = DEFAULTS.student_epochs,
    teacher_loss_weighting: str = DEFAULTS.teacher_loss_weighting,
    teacher_adversarial_epsilon: float = DEFAULTS.teacher_adversarial_epsilon,
    max_steps: int = DEFAULTS.max_steps,
    batch_size: int = DEFAULTS.batch_size,
    student_layers: str = DEFAULTS.student_layers,
    latency_budget_ms: float = DEFAULTS.latency_budget_ms,
    gate_tolerance: float = DEFAULTS.gate_tolerance,
    release_on_every_split: bool = DEFAULTS.release_on_every_split,
    tracking_uri: str = "",
    cache_dir: str = "",
    model_repository: str = "",
    triton_url: str = "",
    serving_target: str = SERVING_LOCAL,
    git_commit: str = UNKNOWN,
    check_answers: bool = DEFAULTS.check_answers,
) -> str:
    ingest_task = ingest(data_size=data_size, seed=seed, cache_dir=cache_dir).set_display_name("1. ingest")
    dataset = ingest_task.outputs["dataset"]
    validate_task = validate(dataset=dataset).set_display_name("2. validate")

    teacher_task = (
        train_teacher(
            dataset=dataset,
            model_source=model_source,
            cache_dir=cache_dir,
            tracking_uri=tracking_uri,
            epochs=teacher_epochs,
            loss_weighting=teacher_loss_weighting,
            adversarial_epsilon=teacher_adversarial_epsilon,
            max_steps=max_steps,
            batch_size=batch_size,
            seed=seed,
        )
        .set_display_name("3. train teacher")
        .after(validate_task)
    )
    student_task = distill_student(
        dataset=dataset,
        teacher=teacher_task.outputs["teacher"],
        tracking_uri=tracking_uri,
        student_layers=student_layers,
        epochs=student_epochs,
        max_steps=max_steps,
        batch_size=batch_size,
        seed=seed,
    ).set_display_name("4. distill student")
    evaluate_task = evaluate(
        dataset=dataset, teacher=teacher_task.outputs["teacher"], student=student_task.outputs["student"]
    ).set_display_name("5. evaluate")
    release_teacher_task = (
        release_teacher(
            dataset=dataset,
            teacher=teacher_task.outputs["teacher"],
            every_split=release_on_every_split,
            model_source=model_source,
            cache_dir=cache_dir,
            tracking_uri=tracking_uri,
            loss_weighting=teacher_loss_weighting,
            adversarial_epsilon=teacher_adversarial_epsilon,
            batch_size=batch_size,
            seed=seed,
        )
        .set_display_name("6. release teacher")
        .after(evaluate_task)
    )
    release_student_task = release_student(
        dataset=dataset,
        released_teacher=release_teacher_task.outputs["released_teacher"],
        student=student_task.outputs["student"],
        every_split=release_on_every_split,
        tracking_uri=tracking_uri,
        student_layers=student_layers,
        batch_size=batch_size,
        seed=seed,
    ).set_display_name("7. release student")
    export_task = export(
        dataset=dataset,
        teacher=release_teacher_task.outputs["released_teacher"],
        student=release_student_task.outputs["released_student"],
    ).set_display_name("8. export")
    register_task = register(
        bundle=export_task.outputs["bundle"],
        evaluation=evaluate_task.outputs["evaluation"],
        tracking_uri=tracking_uri,
        git_commit=git_commit,
        pipeline_run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
    ).set_display_name("9. register")
    promote_task = promote(
        version=register_task.output,
        dataset=dataset,
        tracking_uri=tracking_uri,
        latency_budget_ms=latency_budget_ms,
        gate_tolerance=gate_tolerance,
        pipeline_run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
    ).set_display_name("10. promote")
    previous_champion = promote_task.outputs["previous_champion"]
    deploy_task = deploy(
        tracking_uri=tracking_uri,
        model_repository=model_repository,
        triton_url=triton_url,
        serving_target=serving_target,
        previous_champion=previous_champion,
    ).set_display_name("11. deploy")
    smoke_task = smoke_test(
        tracking_uri=tracking_uri,
        model_repository=model_repository,
        triton_url=triton_url,
        serving_target=serving_target,
        deployed_version=deploy_task.output,
        previous_champion=previous_champion,
        check_answers=check_answers,
    ).set_display_name("12. smoke test")

    tasks = (
        ingest_task,
        validate_task,
        teacher_task,
        student_task,
        evaluate_task,
        release_teacher_task,
        release_student_task,
        export_task,
        register_task,
        promote_task,
        deploy_task,
        smoke_task,
    )
    for task in tasks:
        on_cluster_state(task)
    for task in (teacher_task, student_task, release_teacher_task, release_student_task):
        on_gpu_node(task)
    return smoke_task.output
