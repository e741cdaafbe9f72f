"""What `ingest` builds: the caps per source, the split fractions, and the named sizes."""

from __future__ import annotations

from dataclasses import dataclass

from mtassist.contracts import SPLITS
from mtassist.seeding import DEFAULT_SEED

DATA_SIZES: tuple[str, ...] = ("default", "small", "full")
"""`default` for real runs within the Quick start's time on 2 cores, `small` (a few hundred rows)
for tests and smoke runs, `full` for GPU nodes: every rated VADER sentence, several times the
commands and conversation pairs."""


@dataclass(frozen=True)
class DatasetConfig:
    """What `ingest` builds; `for_size(name)` for the named sizes (DATA_SIZES)."""

    seed: int = DEFAULT_SEED
    intent_cap: int = 220
    draws_per_template: int = 40
    unseen_values_per_intent: int = 30
    world_questions_cap: int = 480
    noise_share: float = 0.3
    chitchat_cap: int = 2500
    chitchat_pairs_per_conversation: int = 2
    chatterbot_cap: int | None = None
    sentiment_cap_per_corpus: int | None = 900
    """Rated sentences per VADER corpus, a third per label where the corpus has them; None: every
    one (the labels then as uneven as the corpus: training balances them, `training.batches`)."""
    sentiment_test_cap_per_corpus: int = 900
    """Rated test sentences per corpus, topped up from reviews that train and validation never see."""
    reply_test_rows: int = 1200
    """Test message-reply pairs, topped up from chitchat conversations that no other row comes from."""
    train_fraction: float = 0.8
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    max_chars: int = 256

    def __post_init__(self) -> None:
        fractions = (self.train_fraction, self.validation_fraction, self.test_fraction)
        if min(fractions) <= 0 or abs(sum(fractions) - 1.0) > 1e-6:
            raise ValueError(f"split fractions must be positive and sum to 1, got {fractions}")
        if not 0.0 <= self.noise_share <= 1.0:
            raise ValueError(f"noise_share must be between 0 and 1, got {self.noise_share}")
        caps = (self.sentiment_cap_per_corpus or 0, self.sentiment_test_cap_per_corpus, self.reply_test_rows)
        if min(caps) < 0:
            raise ValueError(
                "sentiment caps and reply_test_rows must not be negative, got "
                f"{self.sentiment_cap_per_corpus}, {self.sentiment_test_cap_per_corpus} and {self.reply_test_rows}"
            )
        if self.max_chars < 8:
            raise ValueError(f"max_chars must be at least 8, got {self.max_chars}")

    @classmethod
    def small(cls, seed: int = DEFAULT_SEED) -> DatasetConfig:
        """A slice of a few hundred rows that still covers every task in every split."""
        return cls(
            seed=seed,
            intent_cap=6,
            draws_per_template=6,
            unseen_values_per_intent=3,
            world_questions_cap=48,
            chitchat_cap=90,
            chatterbot_cap=120,
            sentiment_cap_per_corpus=30,
            sentiment_test_cap_per_corpus=12,
            reply_test_rows=40,
        )

    @classmethod
    def full(cls, seed: int = DEFAULT_SEED) -> DatasetConfig:
        """For GPU nodes: every distinct rated sentence, about twice the commands and three times
        the message-reply pairs of `default`; the splits are cut by the same rules from the
        larger pools (the rated test sentences are the test split's share, not topped up)."""
        return cls(
            seed=seed,
            intent_cap=500,
            draws_per_template=80,
            unseen_values_per_intent=60,
            chitchat_cap=10000,
            chitchat_pairs_per_conversation=4,
            sentiment_cap_per_corpus=None,
        )

    @classmethod
    def for_size(cls, size: str, seed: int = DEFAULT_SEED) -> DatasetConfig:
        """The configuration of a named size (one of DATA_SIZES)."""
        if size not in DATA_SIZES:
            raise ValueError(f"unknown data size '{size}': choose one of {', '.join(DATA_SIZES)}")
        return {"small": cls.small, "full": cls.full}.get(size, cls)(seed=seed)

    @property
    def fractions(self) -> dict[str, float]:
        return dict(zip(SPLITS, (self.train_fraction, self.validation_fraction, self.test_fraction), strict=True))
