"""What a training run runs on: the device, the CPU threads, and mixed precision on a GPU.

In a cluster the training steps land on GPU nodes (pipelines/kubernetes.py); there `device`
"auto" picks CUDA and the same loop trains in bfloat16 autocast. On a CPU the thread count is
fixed and logged, so that two runs of the same commit and seed compute the same numbers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from mtassist.cores import available_cores


@dataclass(frozen=True)
class Hardware:
    device: torch.device
    threads: int
    autocast_dtype: torch.dtype | None
    """bfloat16 or float16 on a GPU with mixed precision; None for full precision."""

    @property
    def needs_loss_scaling(self) -> bool:
        return self.autocast_dtype == torch.float16

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if self.autocast_dtype is None:
            yield
        else:
            with torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype):
                yield

    def describe(self) -> dict[str, str | int]:
        precision = str(self.autocast_dtype).removeprefix("torch.") if self.autocast_dtype else "float32"
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "cpu"
        return {"device": str(self.device), "device_name": name, "threads": self.threads, "precision": precision}


def prepare_hardware(device: str = "auto", threads: int = 0, mixed_precision: bool = True) -> Hardware:
    """Pick the device, fix PyTorch's CPU threads, and choose the autocast type.

    Raises:
        ValueError: a CUDA device asked for where there is none.
    """
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    chosen = torch.device(device)
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but PyTorch sees no CUDA GPU: use 'auto' or 'cpu'")
    used = threads or available_cores()
    torch.set_num_threads(used)
    dtype = None
    if chosen.type == "cuda" and mixed_precision:
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return Hardware(chosen, used, dtype)
