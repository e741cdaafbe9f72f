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


def test_the_fast_path_gives_exactly_what_the_transformers_wrapper_gives(tokenizer):
    from mtassist.tokenization import encode_with_transformers

    batches = [
        ["turn on the kitchen lights", "hi"],
        ["Schalte das Licht im Wohnzimmer ein, bitte! 🙂", "what's   the temperature?", "a"],
        ["set the bedroom lights to fifty percent " * 8, "x"],
        ["how are you"],
    ]
    for max_length in (48, 16, 48):
        for texts in batches:
            reference = encode_with_transformers(tokenizer, texts, max_length)
            fast = encode(tokenizer, texts, max_length)  # after the wrapper changed the backend's settings
            assert set(fast) == set(reference)
            for name, array in reference.items():
                np.testing.assert_array_equal(fast[name], array, err_msg=f"{name} at max_length {max_length}")
