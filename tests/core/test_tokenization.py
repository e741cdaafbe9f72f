"""The tokenizer that travels with every model emits every ONNX input and character offsets."""

import numpy as np

from mtassist.contracts import ONNX_INPUTS
from mtassist.tokenization import encode


def test_encode_gives_every_onnx_input_and_offsets(tokenizer):
    encoded = encode(tokenizer, ["turn on the kitchen lights", "hi"])
    for name in ONNX_INPUTS:
        assert encoded[name].dtype == np.int64 and encoded[name].shape == encoded["input_ids"].shape
    assert encoded["offsets"].shape == (*encoded["input_ids"].shape, 2)
    assert encoded["attention_mask"][1].sum() == 3  # [CLS] hi [SEP]
    assert tokenizer.pad_token == "[PAD]"
