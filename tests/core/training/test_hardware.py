"""The device, the CPU threads and the precision a run trains with."""

import pytest
import torch

from mtassist.training.hardware import available_cores, prepare_hardware


def test_cpu_training_fixes_the_thread_count_and_keeps_full_precision():
    before = torch.get_num_threads()
    try:
        hardware = prepare_hardware("cpu", threads=1)
        assert torch.get_num_threads() == 1
        assert hardware.autocast_dtype is None and not hardware.needs_loss_scaling
        assert hardware.describe() == {"device": "cpu", "device_name": "cpu", "threads": 1, "precision": "float32"}
        assert prepare_hardware("cpu").threads == available_cores()
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_asking_for_cuda_without_a_gpu_says_what_to_use_instead():
    with pytest.raises(ValueError, match="no CUDA GPU: use 'auto' or 'cpu'"):
        prepare_hardware("cuda")
    assert prepare_hardware("auto").device.type == "cpu"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU")
def test_on_a_gpu_training_runs_on_cuda_in_mixed_precision_and_returns_a_cpu_model(tiny_model, tokenizer, toy_rows):
    from mtassist.training.config import TrainingConfig
    from mtassist.training.loop import train

    hardware = prepare_hardware("auto")
    assert hardware.device.type == "cuda" and hardware.autocast_dtype in (torch.bfloat16, torch.float16)
    result = train(tiny_model, tokenizer, toy_rows, toy_rows, TrainingConfig(max_steps=40, batch_size=8, eval_every=20))
    assert result.best_score > 0 and next(tiny_model.parameters()).device.type == "cpu"
