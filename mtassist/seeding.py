"""The one default seed, and seeding every random generator a run uses."""

from __future__ import annotations

import random

DEFAULT_SEED = 13
"""The seed of the dataset splits, the samplers and training, unless a run names another."""


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's generators (torch only when it is installed and imported here)."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
