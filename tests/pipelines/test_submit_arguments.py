"""`mtassist pipeline submit --param NAME=VALUE`: values reach Kubeflow as the types the pipeline declares."""

import pytest

from mtassist.cli import main
from mtassist.pipelines.runner import typed_arguments


def test_values_take_the_type_of_their_parameter():
    arguments = typed_arguments(
        ["seed=7", "teacher_epochs=2.5", "release_on_every_split=true", "check_answers=no", "data_size=full"]
    )
    assert arguments == {
        "seed": 7,
        "teacher_epochs": 2.5,
        "release_on_every_split": True,
        "check_answers": False,
        "data_size": "full",
    }


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("seed", "'seed' is not NAME=VALUE"),
        ("seeds=3", "no parameter 'seeds'; it takes data_size, seed,"),
        ("seed=three", "seed takes a whole number, not 'three'"),
        ("release_on_every_split=maybe", "release_on_every_split is true or false, not 'maybe'"),
    ],
)
def test_a_bad_argument_is_refused_naming_it(pair, message):
    with pytest.raises(ValueError, match=message):
        typed_arguments([pair])


def test_submit_refuses_a_bad_argument_before_reaching_the_cluster(capsys):
    assert main(["pipeline", "submit", "--host", "http://127.0.0.1:9", "--param", "seed=three"]) == 2
    assert "mtassist pipeline submit: seed takes a whole number, not 'three'" in capsys.readouterr().err
