"""The pipeline's tunable parameters and their defaults, read from the configuration classes.

`RunOptions` is what `mtassist run` takes and the pipeline's signature declares; each default
comes from the one class that owns it (DatasetConfig, TrainingConfig, DistillationConfig,
GateConfig), so the CLI, the pipeline and the library cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from mtassist.data.config import DATA_SIZES
from mtassist.promotion import GateConfig
from mtassist.seeding import DEFAULT_SEED
from mtassist.training.config import STUDENT_EPOCHS, TEACHER_EPOCHS, DistillationConfig, TrainingConfig

_TRAINING = TrainingConfig()


@dataclass(frozen=True)
class RunOptions:
    """The pipeline's tunable parameters (locations come from Settings)."""

    data_size: str = DATA_SIZES[0]
    seed: int = DEFAULT_SEED
    teacher_epochs: float = TEACHER_EPOCHS
    student_epochs: float = STUDENT_EPOCHS
    teacher_loss_weighting: str = _TRAINING.loss_weighting
    """How the teacher combines its heads' losses: one of `training.weighting.LOSS_WEIGHTINGS`."""
    teacher_adversarial_epsilon: float = _TRAINING.adversarial_epsilon
    """FGM adversarial training of the teacher on its word embeddings (`training.adversarial`); 0: off."""
    max_steps: int = 0
    """A cap on training steps per model; 0 trains by epochs."""
    batch_size: int = _TRAINING.batch_size
    student_layers: str = DistillationConfig().student_layers
    """A count of teacher layers spread evenly, or the teacher layers named ("0,5")."""
    latency_budget_ms: float = GateConfig().latency_budget_ms
    gate_tolerance: float = GateConfig().tolerance
    """How far below the champion's any gate metric of the challenger may be (`mtassist.promotion`)."""
    release_on_every_split: bool = False
    """Once evaluated, teacher and student train again on every split (train, validation, test,
    unseen values) for the steps their evaluated runs kept, and those are released; the version
    carries the evaluated runs' held-out metrics (`steps.train`). Doubles the training time."""
    check_answers: bool = True
    """The smoke test checks the answers, not only the contract."""


DEFAULTS = RunOptions()
