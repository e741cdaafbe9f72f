"""A trained model's folder: what train_teacher and distill_student write, evaluate and export read.

<model dir>/
  encoder/      the encoder, a Hugging Face model directory   (contracts.MODEL_ENCODER_DIR)
  heads.pt      the heads' state dict                          (MODEL_HEADS_FILE)
  labels.json   the label space                                (MODEL_LABELS_FILE)
  tokenizer/    the tokenizer it was trained with              (MODEL_TOKENIZER_DIR)
  run.json      the training run's record                      (MODEL_RUN_FILE)
"""

from __future__ import annotations

import json
from pathlib import Path

from transformers import PreTrainedTokenizerBase

from mtassist.contracts import MODEL_RUN_FILE, MODEL_TOKENIZER_DIR
from mtassist.model.multitask import MultiTaskModel
from mtassist.tokenization import load_tokenizer


def save_trained(model: MultiTaskModel, tokenizer: PreTrainedTokenizerBase, output_dir: Path, run: dict) -> None:
    """Write the model, its tokenizer and its run record into `output_dir`."""
    output_dir = Path(output_dir)
    model.save(output_dir)
    tokenizer.save_pretrained(output_dir / MODEL_TOKENIZER_DIR)
    (output_dir / MODEL_RUN_FILE).write_text(json.dumps(run, indent=1))


def load_trained(model_dir: Path) -> tuple[MultiTaskModel, PreTrainedTokenizerBase, dict]:
    """The model (in eval mode), its tokenizer and its run record."""
    model_dir = Path(model_dir)
    return MultiTaskModel.load(model_dir), load_tokenizer(model_dir / MODEL_TOKENIZER_DIR), load_run_record(model_dir)


def load_run_record(model_dir: Path) -> dict:
    """The run record of a trained model's folder, without loading the model."""
    return json.loads((Path(model_dir) / MODEL_RUN_FILE).read_text())
