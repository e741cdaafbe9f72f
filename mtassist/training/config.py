"""The hyper-parameters of training and distillation: one home for each default.

Torch-free, so that the CLI, the pipeline's signature and `RunOptions` read their defaults from
here without importing PyTorch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from mtassist.seeding import DEFAULT_SEED

DEFAULT_MAX_LENGTH = 48
"""Tokens per utterance, special tokens included. Commands and chitchat need far fewer; 48 cuts
about 3% of the rated review and news sentences, where 32 cut a quarter of them."""
DEFAULT_TASK_WEIGHTS: dict[str, float] = {"slots": 3.0}
"""With every term at 1 the slot head lost 14 points of F1 to the same encoder trained for slots alone
(docs/QUALITY.md, single-task column); three times the slot loss closes that gap."""
TEACHER_TASK_SAMPLING: dict[str, float] = {"sentiment": 2.0, "response": 2.0}
"""The route, intent and slot pools are the same command rows: with every task's chance at 1 the
commands fill 72% of the teacher's batches, and in 1.5 passes it met each rated sentence 0.84
times and each message-reply pair 0.78 times, where the heads trained alone (the single-task
baselines) met theirs 1.5 times and scored 2.3 and 3.6 points higher. Twice the chance for both
gives them 21% and 23% of the batches; with TEACHER_EPOCHS the commands keep as many batches as
before."""
TEACHER_EPOCHS = 1.9
"""The default teacher's passes over the data: 1.5 raised the test score from 0.685 to 0.730 over
one pass (docs/QUALITY.md); at TEACHER_TASK_SAMPLING, 1.9 passes give the commands the batches
1.5 gave them at even chances (395 of 704 steps; 400 of 556). On dataset c8bce2011c8c, against
1.5 passes at even chances (same seed), the teacher's test sentiment macro-F1 rose from 0.627 to
0.645, reply recall@1 of 100 from 0.293 to 0.306, intent accuracy from 0.939 to 0.953 and frame
accuracy from 0.886 to 0.905 (validation: sentiment 0.623 to 0.685, frame 0.852 to 0.872, replies
0.312 to 0.300). It trains about 90 s longer on 2 cores (296 s against 209 s)."""
TEACHER_LEARNING_RATE = 1.5e-4
"""The encoder's learning rate (and the single-task baselines'): in the teacher's 553 steps, 1.5e-4
raised its test intent macro-F1 from 0.795 (at 8e-5) to 0.850, slot F1 from 0.925 to 0.956 and
frame accuracy from 0.800 to 0.872, with sentiment and replies level (dataset 74f05a5d6fc4, same
seed); 3e-4 scored about the same on test and 0.6 points lower on validation."""
STUDENT_EPOCHS = 5.0
"""The student's passes over the data. The teacher reads each distinct row once
(`DistillationConfig.memoize_teacher`), so a step costs the student's passes alone (about 0.13 s
on 2 cores, from 0.31 s). Four passes raised the student's test slot F1 from 0.914 (two) to 0.948
and frame accuracy from 0.803 to 0.865; with STUDENT_TASK_SAMPLING's rated sentences drawn three
times as often, the fifth pass raised them to 0.956 and 0.891 (dataset 74f05a5d6fc4, whose
command test rows are those of the earlier runs), for about 100 s more on 2 cores. Off the teacher
that learns at TEACHER_LEARNING_RATE it scores 0.961 and 0.896 there (docs/QUALITY.md)."""
STUDENT_LEARNING_RATE = 3e-4
"""The default 2-layer student at the teacher's former 8e-5 for one pass was still improving when it
stopped, and kept 80% of the teacher's slot F1; at 3e-4 it matches or beats the teacher on intents
and slots."""
STUDENT_TASK_SAMPLING: dict[str, float] = {"sentiment": 3.0, "response": 2.0}
"""The route, intent and slot pools are the same command rows, so with every task's chance at 1 the
commands fill 72% of the batches, and in 1.5 passes the student saw fewer rated sentences than the
split holds: its sentiment macro-F1 kept 88% of the teacher's and its reply MRR 92% (test split).
Three times the chance for rated sentences and twice for replies gives them 29% and 21% of the
batches (`training.batches.sampling_probabilities`; see STUDENT_TASK_WEIGHTS)."""
STUDENT_TASK_WEIGHTS: dict[str, float] = {
    **DEFAULT_TASK_WEIGHTS,
    "sentiment": 3.0,
    "kd_sentiment": 3.0,
    "response": 0.0,
}
"""Sentiment is the head a 2-layer student loses most on: its hard and its distilled term count
three times. At twice the chance and twice the weight the student kept 96.9% of the teacher's
sentiment macro-F1 on 3,130 rated test sentences; at three times each (and five passes), 97.8%
(dataset 208bc9ff543c, same teacher). The hard reply term (each message against its own reply)
is off: at four passes it pulled the student towards the training pairs, and its MRR on 315 test
replies fell to 95% of the teacher's; learning the reply space from the teacher alone
(`kd_embedding`, `kd_reply_ranking`, `kd_bank_ranking`) kept 97% there, and keeps 90% on the
1,200 test replies of dataset 74f05a5d6fc4 (docs/QUALITY.md)."""
LOSS_WEIGHTINGS: tuple[str, ...] = ("static", "uncertainty", "pcgrad")
"""How a batch's loss terms become one total: `training.weighting`."""
EVALUATIONS_PER_RUN = 8
"""How often a run validates when `eval_every` is 0: often enough for early stopping to stop."""


@dataclass
class TrainingConfig:
    """Hyper-parameters of one training run (teacher or student)."""

    epochs: float = 1.0
    max_steps: int | None = None
    batch_size: int = 32
    learning_rate: float = TEACHER_LEARNING_RATE
    head_learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    sampling_temperature: float = 2.0
    task_sampling: dict[str, float] = field(default_factory=lambda: dict(TEACHER_TASK_SAMPLING))
    """Weight on each task's chance to be drawn for a batch (1 when absent; `training.batches`)."""
    task_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TASK_WEIGHTS))
    """Static weight per loss term (1 when absent)."""
    loss_weighting: str = "static"
    """"static" (task_weights), "uncertainty" (one learned scale per head) or "pcgrad" (the heads'
    conflicting gradients projected apart): `training.weighting`."""
    loss_weighting_learning_rate: float = 0.02
    """Learning rate of the learned scales: a few hundred steps must be enough for them to move."""
    adversarial_epsilon: float = 0.0
    """FGM adversarial training (`training.adversarial`): each step also trains on its batch with
    every utterance's word embeddings moved this far (L2) along the loss's gradient; 0 turns it
    off. Off by default: on dataset 98f27df8ea25 the teacher scored 0.741 on test at 0.2 and 0.729
    at 0.5 against 0.746 without, noisy commands included, and trained about twice as long
    (docs/QUALITY.md, "Loss weighting")."""
    response_scale: float = 20.0
    embedding_anchor: float = 30.0
    """Weight of the pull towards the pretrained reply embedding (`training.anchor`); 0 turns it off."""
    max_length: int = DEFAULT_MAX_LENGTH
    eval_every: int = 0
    """Validation every this many steps; 0 means EVALUATIONS_PER_RUN times per run."""
    patience: int = 3
    """Stop after this many validations without a better score."""
    selection_tolerance: float = 0.005
    """A validation score at most this far below the top one is as good: the latest such weights
    are kept. On the 800 validation rows the score moves by a few thousandths between evaluations
    (sentiment and replies rest on a few hundred rows): the default student's top, 0.808 at step
    928 of 1,850, would have been kept over 0.806 at step 1,624, whose validation frame accuracy
    was 0.901 against 0.868 (dataset c8bce2011c8c)."""
    eval_max_rows: int = 800
    """Validation rows, drawn across every head and intent (`training.validation`)."""
    seed: int = DEFAULT_SEED
    threads: int = 0
    """CPU threads for PyTorch; 0 means every core this process may use. Fixed, so runs repeat."""
    device: str = "auto"
    """"cpu", "cuda", "cuda:N", or "auto": the GPU when there is one."""
    mixed_precision: bool = True
    """On a GPU, autocast to bfloat16 (float16 with loss scaling where bfloat16 is missing)."""

    @classmethod
    def for_student(cls, **values: object) -> TrainingConfig:
        """The student's training unless told otherwise: STUDENT_EPOCHS at STUDENT_LEARNING_RATE,
        STUDENT_TASK_SAMPLING and STUDENT_TASK_WEIGHTS."""
        defaults = {
            "epochs": STUDENT_EPOCHS,
            "learning_rate": STUDENT_LEARNING_RATE,
            "task_sampling": dict(STUDENT_TASK_SAMPLING),
            "task_weights": dict(STUDENT_TASK_WEIGHTS),
        }
        return cls(**{**defaults, **values})

    def to_params(self) -> dict[str, object]:
        return {k: (str(v) if isinstance(v, dict) else v) for k, v in asdict(self).items()}


@dataclass
class DistillationConfig:
    """How the student learns from the teacher (see `mtassist.training.distillation`)."""

    student_layers: str = "2"
    """A count of teacher layers spread evenly (first and last included), or the teacher layers
    named, in order: "0,5" (`mtassist.model.layers`)."""
    temperature: float = 2.0
    alpha: float = 0.5
    hidden_weight: float = 1.0
    embedding_weight: float = 5.0
    """The cosine to the teacher's sentence embedding: served against the teacher's reply bank, the
    student's questions must land where the teacher's do, and at 1 this term was the smallest."""
    relation_weight: float = 0.0
    """MiniLMv2 self-attention relations of the last layers (`training.relations`); 0 turns them off.
    Off by default: the student's other defaults were chosen in runs without them, and they cost
    about 7% of its steps per second on 2 cores; 1 turns them on."""
    relation_heads: int = 0
    """0: the teacher's attention heads, or the most below that dividing both widths."""
    reply_relation_weight: float = 1.0
    """The student ranks each batch's replies as the teacher does; 0 turns it off."""
    bank_ranking_weight: float = 1.0
    """Every message ranks the teacher's embeddings of all training replies as the teacher does,
    as it will rank the teacher's bank when served (a batch holds only 32 replies); 0 turns it off."""
    bank_ranking_temperature: float = 1.0
    """The softening of both rankings of the bank; below `temperature`, so that the top of the
    ranking, which a reply's rank depends on, weighs more than its long tail."""
    teacher_replies: bool = True
    """The student's messages learn to rank the teacher's reply embeddings, the bank it is served
    with; False: its own, as a model served with its own bank would."""
    memoize_teacher: bool = True
    """The teacher reads each distinct utterance and reply once and its outputs are kept
    (`training.teacher_memo`): about half of a step's time on the CPU. False: it reads every batch,
    for data whose outputs would not fit in memory."""

    def to_params(self) -> dict[str, object]:
        return {f"distill_{k}": v for k, v in asdict(self).items()}
