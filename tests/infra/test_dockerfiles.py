"""The Dockerfiles in infra/docker, checked statically (no Docker engine is needed).

Base images are pinned, images run as non-root and bake in no secrets, the pipeline image uses
the state volume as its home and installs the locked versions, and each ignore file keeps what
its Dockerfile copies.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mtassist.pipelines import kubernetes as k8s
from mtassist.serving.layout import RATE_LIMIT_FLAG
from mtassist.settings import DEFAULT_IMAGE
from tests.infra.common import INFRA, PINS, image_tag

DOCKER = INFRA / "docker"
DOCKERFILES = {"pipeline": DOCKER / "Dockerfile", "triton": DOCKER / "triton.Dockerfile"}


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in dockerfile.read_text().splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not pending):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        word, _, rest = pending.strip().partition(" ")
        instructions.append((word.upper(), rest.strip()))
        pending = ""
    return instructions


def _from_images(dockerfile: Path) -> list[str]:
    """The base image of every stage, global ARG defaults substituted; earlier stages left out."""
    args, stages, images = {}, set(), []
    seen_from = False
    for word, rest in _instructions(dockerfile):
        if word == "ARG" and not seen_from and "=" in rest:
            name, value = rest.split("=", 1)
            args[name] = value.strip('"')
        elif word == "FROM":
            seen_from = True
            parts = [p for p in rest.split() if not p.startswith("--platform")]
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m.group(1) or m.group(2)], parts[0])
            if image not in stages:
                images.append(image)
            if len(parts) == 3 and parts[1].upper() == "AS":
                stages.add(parts[2])
    return images


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfiles_pin_their_base_images(name):
    dockerfile = DOCKERFILES[name]
    assert dockerfile.is_file()
    images = _from_images(dockerfile)
    assert images
    for image in images:
        assert image_tag(image) not in (None, "latest"), f"{dockerfile.name}: FROM {image} pins no tag"
    if name == "pipeline":
        assert all(image.startswith("python:3.11") for image in images)
    else:
        assert all(image.startswith("nvcr.io/nvidia/tritonserver:") and image.endswith("-py3") for image in images)


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfiles_run_as_non_root_and_bake_in_no_secrets(name):
    instructions = _instructions(DOCKERFILES[name])
    users = [rest for word, rest in instructions if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    secret_name = re.compile(r"SECRET|PASSWORD|CREDENTIAL|ACCESS_KEY|(^|_)TOKEN$", re.I)
    for word, rest in instructions:
        if word in ("ENV", "ARG"):
            names = [token.split("=", 1)[0] for token in rest.split() if "=" in token] or rest.split()[:1]
            for variable in names:
                assert variable not in k8s.CREDENTIAL_KEYS and not secret_name.search(variable), f"{word} {variable}"


def test_pipeline_image_uses_the_state_volume_as_home():
    env = " ".join(rest for word, rest in _instructions(DOCKERFILES["pipeline"]) if word == "ENV")
    assert f"MTASSIST_HOME={k8s.STATE_MOUNT_PATH}" in env.split()
    readme = (INFRA / "README.md").read_text()
    repository = DEFAULT_IMAGE.rsplit(":", 1)[0]
    assert f"-f infra/docker/Dockerfile -t {repository}:" in readme


def test_triton_image_loads_models_explicitly():
    (cmd,) = [rest for word, rest in _instructions(DOCKERFILES["triton"]) if word == "CMD"]
    assert '"--model-control-mode=explicit"' in cmd and '"tritonserver"' in cmd
    assert f'"{RATE_LIMIT_FLAG}"' in cmd  # as the local launcher runs it


def test_triton_requirements_are_pinned_as_in_pyproject():
    lines = (DOCKER / "triton-requirements.txt").read_text().splitlines()
    pins = dict(line.split("==", 1) for line in lines if line.strip() and not line.startswith("#"))
    assert pins and "torch" not in pins
    for package, version in pins.items():
        assert PINS.get(package) == version, f"{package}=={version}, pyproject pins {PINS.get(package)}"


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_each_dockerfile_has_an_ignore_file_that_keeps_what_it_copies(name):
    dockerfile = DOCKERFILES[name]
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    assert ignore.is_file(), f"{ignore.name} missing (the build context is the repository root)"
    rules = [line.strip() for line in ignore.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", "ignore everything, then allow what the image needs"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    for word, rest in _instructions(dockerfile):
        if word == "COPY" and "--from=" not in rest:
            for source in rest.split()[:-1]:
                assert source.rstrip("/") in allowed, f"{ignore.name} excludes {source}, which is copied"


def test_pipeline_image_installs_the_locked_versions():
    run = " ".join(rest for word, rest in _instructions(DOCKERFILES["pipeline"]) if word == "RUN")
    assert "-c requirements.lock" in run
