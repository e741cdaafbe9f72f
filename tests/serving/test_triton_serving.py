"""The real tritonserver on a repository built from the tiny bundle, asked over gRPC."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from mtassist import contracts
from mtassist.serving.client import AssistantClient, TritonRequestError
from mtassist.serving.launcher import TritonServer, TritonServerError, free_ports
from mtassist.serving.model_configs import MODEL_NAMES
from mtassist.serving.repository import build_model_repository

pytestmark = pytest.mark.slow

COMMAND = "Turn on the lights in the kitchen"
CHITCHAT = "how are you today?"
POSITIVE_CHITCHAT = "I love this, great day"
SCORED = ("route", "intent", "sentiment")


@pytest.fixture(scope="module")
def repository(tiny_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model_repository(tiny_bundle, tmp_path_factory.mktemp("serving") / "model-repository")


@pytest.fixture(scope="module")
def server(repository: Path, triton_server_dir: Path):
    server = TritonServer(repository, ports=free_ports(), server_dir=triton_server_dir, startup_timeout_s=120)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def client(server: TritonServer):
    with AssistantClient(server.grpc_url) as client:
        yield client


@pytest.fixture(scope="module")
def ensemble(server: TritonServer):
    with AssistantClient(server.grpc_url, model=contracts.TRITON_ENSEMBLE_MODEL) as client:
        yield client


@pytest.fixture(scope="module")
def check_contract(tiny_bundle: Path):
    """Checks that an answer has the contract's keys, each with the contract's types."""
    model_version = json.loads((tiny_bundle / contracts.BUNDLE_CARD).read_text())["model_version"]
    replies = json.loads((tiny_bundle / contracts.BUNDLE_RESPONSE_TEXTS).read_text())
    labels = json.loads((tiny_bundle / contracts.BUNDLE_LABELS).read_text())
    return lambda text, answer: _check_contract(text, answer, model_version, replies, labels)


def _check_contract(text: str, answer: dict, model_version: str, replies: list[str], labels: dict) -> None:
    assert set(answer) <= {*contracts.ANSWER_HEADS, "model_version"}
    assert answer["model_version"] == model_version
    for head in SCORED:
        if head in answer:
            assert set(answer[head]) == {"label", "score"}
            assert answer[head]["label"] in labels[head]
            # the most probable of K labels has a probability of at least 1/K
            assert 1.0 / len(labels[head]) <= answer[head]["score"] <= 1.0
    for slot in answer.get("slots", []):
        if "start" not in slot:  # implied by the intent, not spoken
            assert set(slot) == {"name", "value"}
            continue
        assert (
            {"name", "value", "text", "start", "end"}
            <= set(slot)
            <= {"name", "value", "text", "start", "end", "domain", "resolved"}
        )
        assert isinstance(slot["start"], int) and isinstance(slot["end"], int)
        assert text[slot["start"] : slot["end"]] == slot["text"]
    for reply in answer.get("replies", []):
        assert set(reply) == {"text", "score"}
        assert reply["text"] in replies
        assert -1.0 <= reply["score"] <= 1.0  # a cosine similarity
    scores = [reply["score"] for reply in answer.get("replies", [])]
    assert scores == sorted(scores, reverse=True)


def test_every_model_is_ready(client):
    states = {model["name"]: model.get("state") for model in client.repository_index()}
    assert states == {name: "READY" for name in MODEL_NAMES}
    assert client.server_metadata()["version"].startswith("2.")


def test_a_command_gets_its_intent_and_slots_and_no_replies(client, check_contract):
    [answer] = client.ask([COMMAND])
    check_contract(COMMAND, answer)
    assert list(answer) == ["route", "intent", "slots", "sentiment", "model_version"]
    assert answer["route"]["label"] == "command"
    assert answer["intent"]["label"] == "HassTurnOn"
    assert answer["slots"] == [{"name": "area", "value": "kitchen", "text": "kitchen", "start": 26, "end": 33}]


def test_chitchat_gets_replies_and_no_intent_or_slots(client, check_contract):
    plain, positive = client.ask([CHITCHAT, POSITIVE_CHITCHAT])
    for text, answer in ((CHITCHAT, plain), (POSITIVE_CHITCHAT, positive)):
        check_contract(text, answer)
        assert list(answer) == ["route", "sentiment", "replies", "model_version"]
        assert answer["route"]["label"] == "chitchat"
        assert len(answer["replies"]) == contracts.DEFAULT_TOP_K_REPLIES
    assert positive["sentiment"]["label"] == "positive"


def test_tasks_pick_the_heads(client):
    assert list(client.ask([CHITCHAT], tasks=["sentiment"])[0]) == ["sentiment", "model_version"]
    assert list(client.ask([COMMAND], tasks=["route", "replies"])[0]) == ["route", "model_version"]


def test_bad_requests_get_an_error_naming_the_problem_and_the_server_keeps_answering(client, server):
    with pytest.raises(TritonRequestError, match="unknown head 'bogus' in TASKS") as unknown:
        client.ask([COMMAND], tasks=["intent", "bogus"])
    assert unknown.value.status == "StatusCode.INVALID_ARGUMENT"
    with pytest.raises(TritonRequestError, match="TEXT row 1 is empty"):
        client.ask([COMMAND, "   "])

    raw = grpcclient.InferenceServerClient(server.grpc_url)
    wide = grpcclient.InferInput(contracts.TRITON_INPUT_TEXT, [1, 2], "BYTES")
    wide.set_data_from_numpy(np.array([[b"a", b"b"]], dtype=object))
    with pytest.raises(InferenceServerException, match="shape") as shape:
        raw.infer(contracts.TRITON_ASSISTANT_MODEL, [wide])
    assert contracts.TRITON_INPUT_TEXT in shape.value.message()
    raw.close()

    assert client.ask([COMMAND])[0]["intent"]["label"] == "HassTurnOn"


def test_a_named_route_makes_the_router_answer_for_that_skill(client):
    answer = client.ask([COMMAND], route="faq")[0]
    assert answer["route"]["label"] == "faq" and "replies" in answer and "intent" not in answer
    assert client.ask([CHITCHAT], route="command")[0]["intent"]["label"] in ("none", "HassTurnOn", "HassTurnOff")
    with pytest.raises(TritonRequestError, match="unknown route 'weather' in ROUTE row 0") as unknown:
        client.ask([COMMAND], route="weather")
    assert unknown.value.status == "StatusCode.INVALID_ARGUMENT"
    assert client.ask([COMMAND])[0]["route"]["label"] == "command"


def test_a_context_resolves_names_and_a_bad_one_is_refused_while_others_get_answers(client):
    home = json.dumps({"areas": ["Kitchen", "Living Room"], "names": [{"name": "Desk Lamp", "domain": "light"}]})
    answer = client.ask([COMMAND], context=home)[0]
    assert answer["slots"] == [
        {"name": "area", "value": "Kitchen", "text": "kitchen", "start": 26, "end": 33,
         "resolved": {"from": "kitchen", "similarity": 1.0}}
    ]  # fmt: skip
    with pytest.raises(TritonRequestError, match=r"row 0: CONTEXT is not a JSON object") as malformed:
        client.ask([COMMAND], context="{areas: kitchen")
    assert malformed.value.status == "StatusCode.INVALID_ARGUMENT"
    with pytest.raises(TritonRequestError, match=r'CONTEXT "areas" must be a list of strings'):
        client.ask([COMMAND], context=json.dumps({"areas": "Kitchen"}))
    assert client.ask([COMMAND])[0]["slots"][0]["value"] == "kitchen"


def test_the_ensemble_answers_every_head_for_every_route(ensemble, check_contract):
    for text, answer in zip([COMMAND, CHITCHAT], ensemble.ask([COMMAND, CHITCHAT])):
        check_contract(text, answer)
        assert list(answer) == [*contracts.ANSWER_HEADS, "model_version"]
    with pytest.raises(TritonRequestError, match="TEXT row 0 is empty"):
        ensemble.ask([""])


def test_more_texts_than_one_batch_come_back_in_order(client):
    texts = [COMMAND if i % 3 == 0 else CHITCHAT for i in range(40)]
    routes = [answer["route"]["label"] for answer in client.ask(texts)]
    assert routes == ["command" if i % 3 == 0 else "chitchat" for i in range(40)]


def test_concurrent_requests_of_different_lengths_are_batched_without_mixing_answers(client, ensemble):
    texts = [COMMAND, CHITCHAT, "switch on the bedroom lights please now", POSITIVE_CHITCHAT, "hi"] * 4
    expected = [client.ask([text])[0] for text in texts] + [ensemble.ask([text])[0] for text in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(client.ask, [text]) for text in texts]
        futures += [pool.submit(ensemble.ask, [text]) for text in texts]
        answers = [future.result()[0] for future in futures]
    for got, want in zip(answers, expected):
        assert list(got) == list(want)
        assert got.get("slots") == want.get("slots")
        for head in SCORED:
            if head in want:
                assert got[head]["label"] == want[head]["label"]
                assert got[head]["score"] == pytest.approx(want[head]["score"], abs=1e-4)


def test_at_low_load_the_first_assistant_instance_answers_and_the_others_take_the_overflow(client, server):
    first, *others = _assistant_stubs(server.pid)
    assert others, "the default config serves `assistant` with more than one instance"

    def cpu_shares(ask_all) -> list[float]:
        before = [_cpu_seconds(pid) for pid in (first, *others)]
        ask_all()
        used = [_cpu_seconds(pid) - start for pid, start in zip((first, *others), before)]
        return [seconds / sum(used) for seconds in used]

    alone = cpu_shares(lambda: [client.ask([text]) for text in [COMMAND, CHITCHAT] * 300])
    assert alone[0] > 0.8, f"one request at a time, the first instance did {alone[0]:.0%} of the work"
    with ThreadPoolExecutor(max_workers=8) as pool:
        busy = cpu_shares(lambda: list(pool.map(lambda text: client.ask([text] * 8), [COMMAND, CHITCHAT] * 100)))
    assert sum(busy[1:]) > 0.15, f"under load the other instances did only {sum(busy[1:]):.0%} of the work"


def _assistant_stubs(server_pid: int) -> list[int]:
    """The python-backend stub processes of `assistant`, by instance name (group, then index)."""
    stubs = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            words = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        names = [word.decode() for word in words if word.startswith(f"{contracts.TRITON_ASSISTANT_MODEL}_".encode())]
        if parent == server_pid and names:
            stubs[names[0]] = int(stat.parent.name)
    return [stubs[name] for name in sorted(stubs)]


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_metrics_are_exposed_for_prometheus(client, server):
    client.ask([COMMAND])
    with urllib.request.urlopen(server.metrics_url, timeout=5) as response:
        metrics = response.read().decode()
    assert 'nv_inference_request_success{model="assistant"' in metrics


def test_explicit_mode_loads_through_the_api_and_reloads_a_rebuilt_repository(tiny_bundle, tmp_path, triton_server_dir):
    card = json.loads((tiny_bundle / contracts.BUNDLE_CARD).read_text())
    repository = build_model_repository(tiny_bundle, tmp_path / "model-repository")
    server = TritonServer(repository, ports=free_ports(), server_dir=triton_server_dir, model_control_mode="explicit")
    try:
        server.start()
        with AssistantClient(server.grpc_url) as client:
            assert not client.is_ready()
            client.load_models()
            assert client.ask([COMMAND])[0]["model_version"] == card["model_version"]

            bundle = shutil.copytree(tiny_bundle, tmp_path / "bundle-4")
            (bundle / contracts.BUNDLE_CARD).write_text(json.dumps({**card, "model_version": "4"}))
            build_model_repository(bundle, repository)
            client.load_models([contracts.TRITON_ASSISTANT_MODEL])
            assert client.ask([COMMAND])[0]["model_version"] == "4"

            client.unload_models([contracts.TRITON_ASSISTANT_MODEL])
            with pytest.raises(TritonRequestError, match="assistant"):
                client.ask([COMMAND])
    finally:
        server.stop()
    assert not server.running


def test_a_server_that_does_not_come_up_names_its_last_log_lines_and_log(tmp_path, triton_server_dir):
    model = tmp_path / "repo" / "broken"
    (model / "1").mkdir(parents=True)
    (model / "config.pbtxt").write_text(
        'name: "broken"\nbackend: "python"\nmax_batch_size: 0\n'
        'input { name: "X" data_type: TYPE_STRING dims: [ 1 ] }\n'
        'output { name: "Y" data_type: TYPE_STRING dims: [ 1 ] }\n'
    )
    (model / "1" / "model.py").write_text(
        "class TritonPythonModel:\n    def initialize(self, args):\n        raise RuntimeError('broken on purpose')\n"
    )
    log_path = tmp_path / "triton.log"
    server = TritonServer(tmp_path / "repo", ports=free_ports(), server_dir=triton_server_dir, log_path=log_path)
    with pytest.raises(TritonServerError) as error:
        server.start()
    message = str(error.value)
    assert message.startswith("tritonserver exited with code")
    assert "broken on purpose" in message
    assert f"(full log: {log_path})" in message
    assert "broken on purpose" in log_path.read_text()
    assert not server.running


def _raw_text_input(array: np.ndarray, datatype: str = "BYTES") -> grpcclient.InferInput:
    tensor = grpcclient.InferInput(contracts.TRITON_INPUT_TEXT, list(array.shape), datatype)
    tensor.set_data_from_numpy(array)
    return tensor


BAD_REQUESTS = {
    "invalid UTF-8": (np.array([[b"turn on \xff\xfe lights"]], dtype=object), "BYTES", "TEXT row 0 is not valid UTF-8"),
    "whitespace only": (np.array([[b"  \t "]], dtype=object), "BYTES", "TEXT row 0 is empty"),
    "wrong dtype": (np.array([[1]], dtype=np.int64), "INT64", "TEXT"),
    "wrong shape": (np.array([[b"a", b"b"]], dtype=object), "BYTES", "TEXT"),
    "batch over the limit": (np.array([[b"hi"]] * 33, dtype=object), "BYTES", "batch"),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_each_bad_request_gets_a_clear_error_and_the_server_keeps_answering(case, client, server):
    array, datatype, named = BAD_REQUESTS[case]
    raw = grpcclient.InferenceServerClient(server.grpc_url)
    try:
        with pytest.raises(InferenceServerException) as refused:
            raw.infer(contracts.TRITON_ASSISTANT_MODEL, [_raw_text_input(array, datatype)], client_timeout=10)
    finally:
        raw.close()
    assert named in refused.value.message()
    assert refused.value.status() == "StatusCode.INVALID_ARGUMENT"
    assert client.ask([COMMAND])[0]["intent"]["label"] == "HassTurnOn"


def test_text_far_beyond_the_maximum_length_is_answered_and_says_it_was_truncated(client):
    long_command = COMMAND + " and then" * 20_000
    answer, short = client.ask([long_command, COMMAND])
    assert answer[contracts.ANSWER_TRUNCATED] is True and answer["route"]["label"] in contracts.ROUTE_LABELS
    assert contracts.ANSWER_TRUNCATED not in short


def test_a_flood_beyond_the_queue_is_shed_with_a_clear_status_never_a_hang(tiny_bundle, tmp_path, triton_server_dir):
    from mtassist.serving.model_configs import ServingOptions

    options = ServingOptions(max_queue_size=2, queue_timeout_ms=20_000)
    repository = build_model_repository(tiny_bundle, tmp_path / "model-repository", options=options)
    heavy = [COMMAND + " please" * 30] * 32
    with TritonServer(repository, ports=free_ports(), server_dir=triton_server_dir) as server:

        def ask_once(_: int) -> str:
            with AssistantClient(server.grpc_url, retries=0, timeout_s=60) as flooding:
                try:
                    flooding.ask(heavy)
                    return "answered"
                except TritonRequestError as error:
                    return f"{error.status}: {error}"

        with ThreadPoolExecutor(max_workers=48) as pool:
            outcomes = list(pool.map(ask_once, range(48), timeout=120))
        with AssistantClient(server.grpc_url) as calm:
            assert calm.ask([COMMAND])[0]["intent"]["label"] == "HassTurnOn"
    shed = [outcome for outcome in outcomes if outcome != "answered"]
    assert shed and "answered" in outcomes
    assert all(o.startswith("StatusCode.UNAVAILABLE") and "Exceeds maximum queue size" in o for o in shed), shed[:3]


def test_ask_input_file_writes_one_json_line_per_utterance(server, tmp_path, capsys):
    from mtassist.cli import main

    lines = [COMMAND, json.dumps({"text": CHITCHAT, "id": "c-1"})] + [POSITIVE_CHITCHAT] * 40
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n")
    code = main(["ask", "--input", str(tmp_path / "in.txt"), "--output", str(tmp_path / "out.jsonl"),
                 "--url", server.grpc_url])  # fmt: skip
    assert code == 0
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(records) == 42
    assert records[0]["text"] == COMMAND and records[0]["answer"]["intent"]["label"] == "HassTurnOn"
    assert records[1]["id"] == "c-1" and records[1]["answer"]["route"]["label"] == "chitchat"
    assert "42 answers written" in capsys.readouterr().err
    assert main(["ask", "--url", server.grpc_url]) == 1
    assert "utterances or --input FILE" in capsys.readouterr().err


def test_the_asyncio_client_answers_concurrent_requests_as_the_sync_one_does(server, client):
    import asyncio

    from mtassist.serving.async_client import AsyncAssistantClient

    texts = [COMMAND, CHITCHAT, POSITIVE_CHITCHAT] * 4

    async def ask_all() -> list[dict]:
        async with AsyncAssistantClient(server.grpc_url) as asynchronous:
            answers = await asyncio.gather(*(asynchronous.ask([text]) for text in texts))
            with pytest.raises(TritonRequestError, match="unknown head 'bogus'"):
                await asynchronous.ask([COMMAND], tasks=["bogus"])
            return [answer for (answer,) in answers]

    expected = client.ask(texts)
    got = asyncio.run(ask_all())
    assert [a["route"]["label"] for a in got] == [a["route"]["label"] for a in expected]
    assert [a.get("slots") for a in got] == [a.get("slots") for a in expected]
