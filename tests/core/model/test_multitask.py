import pytest
import torch

from mtassist.contracts import ONNX_OUTPUTS
from mtassist.labels import LabelSpace
from mtassist.model.layers import choose_layers, parse_layer_choice, student_layer_indices
from mtassist.model.multitask import MultiTaskModel, student_from_teacher
from mtassist.tokenization import encode


def _inputs(tokenizer, texts):
    encoded = encode(tokenizer, texts)
    return {name: torch.from_numpy(encoded[name]) for name in tokenizer.model_input_names}


def test_forward_gives_every_head_with_its_shape(tiny_model, tokenizer, label_space):
    inputs = _inputs(tokenizer, ["turn on the kitchen lights", "hi"])
    output = tiny_model.eval()(**inputs)
    batch, tokens = inputs["input_ids"].shape
    assert output.route_logits.shape == (batch, len(label_space.route))
    assert output.intent_logits.shape == (batch, len(label_space.intent))
    assert output.slot_logits.shape == (batch, tokens, len(label_space.slot_tags))
    assert output.sentiment_logits.shape == (batch, len(label_space.sentiment))
    assert output.sentence_embedding.shape == (batch, 32)
    assert torch.allclose(output.sentence_embedding.norm(dim=-1), torch.ones(batch), atol=1e-5)
    assert len(output.as_onnx_tuple()) == len(ONNX_OUTPUTS)


def test_padding_does_not_change_sentence_level_outputs(tiny_model, tokenizer):
    tiny_model.eval()
    alone = tiny_model(**_inputs(tokenizer, ["hi"]))
    padded = tiny_model(**_inputs(tokenizer, ["hi", "turn on the kitchen lights please now"]))
    assert torch.allclose(alone.route_logits[0], padded.route_logits[0], atol=1e-5)
    assert torch.allclose(alone.sentence_embedding[0], padded.sentence_embedding[0], atol=1e-5)


@pytest.mark.parametrize(
    ("teacher", "student", "expected"), [(6, 2, [0, 5]), (6, 3, [0, 2, 5]), (6, 6, [0, 1, 2, 3, 4, 5])]
)
def test_student_layers_are_spread_over_the_teacher(teacher, student, expected):
    assert student_layer_indices(teacher, student) == expected


def test_student_layers_outside_the_teacher_are_refused():
    with pytest.raises(ValueError, match="1 to 6 layers"):
        student_layer_indices(6, 7)


def test_student_keeps_heads_and_fewer_layers(tiny_model):
    student = student_from_teacher(tiny_model, 1)
    assert student.num_layers == 1 and tiny_model.num_layers == 2
    assert torch.equal(student.heads.intent.linear.weight, tiny_model.heads.intent.linear.weight)
    assert torch.equal(
        student.encoder.encoder.layer[0].output.dense.weight, tiny_model.encoder.encoder.layer[0].output.dense.weight
    )


def test_save_and_load_give_the_same_outputs(tiny_model, tokenizer, tmp_path):
    tiny_model.eval()
    tiny_model.save(tmp_path / "model")
    loaded = MultiTaskModel.load(tmp_path / "model")
    inputs = _inputs(tokenizer, ["switch off the garage lights"])
    assert loaded.labels == tiny_model.labels
    assert torch.allclose(loaded(**inputs).slot_logits, tiny_model(**inputs).slot_logits, atol=1e-6)


def test_label_space_that_breaks_the_route_contract_is_refused(label_space):
    labels = label_space.to_dict()
    labels["route"] = ["command", "faq"]
    with pytest.raises(ValueError, match="does not match the contract"):
        LabelSpace.from_dict(labels)


def test_student_starts_from_the_teacher_layers_named(tiny_model):
    student = student_from_teacher(tiny_model, "1,")
    assert student.num_layers == 1
    assert torch.equal(
        student.encoder.encoder.layer[0].output.dense.weight, tiny_model.encoder.encoder.layer[1].output.dense.weight
    )


@pytest.mark.parametrize("layers", ["2,", "1,0", "0,0", ","])
def test_student_layers_that_are_not_the_teachers_are_refused(tiny_model, layers):
    with pytest.raises(ValueError, match="increasing order, from 0 to 1"):
        student_from_teacher(tiny_model, layers)


@pytest.mark.parametrize(("spec", "expected"), [("2", [0, 5]), ("3", [0, 2, 5]), ("1,5", [1, 5]), (" 0, 3 ", [0, 3])])
def test_a_layer_choice_is_a_count_or_the_layers_named(spec, expected):
    assert choose_layers(spec, 6) == expected


def test_a_layer_choice_that_is_neither_is_named():
    with pytest.raises(ValueError, match="'0;2'"):
        parse_layer_choice("0;2")
