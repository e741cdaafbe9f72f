# The developer loop. Every target uses the project's .venv (made by `make setup`).
VENV := .venv/bin
.DEFAULT_GOAL := help

.PHONY: help setup run test test-fast lint format lock hooks

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## create .venv with every pinned dependency (scripts/bootstrap)
	./scripts/bootstrap

run: setup  ## the whole pipeline locally, then gRPC answers from a local Triton server
	$(VENV)/mtassist run

test: setup  ## the whole test suite, end-to-end tests included (what CI runs)
	$(VENV)/python -m pytest

test-fast: setup  ## the tests not marked slow (under 2 minutes)
	$(VENV)/python -m pytest -m "not slow"

lint: setup  ## ruff lint and format check
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

format: setup  ## fix what ruff can fix, and format
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

lock:  ## regenerate requirements.lock after changing a pin in pyproject.toml
	./scripts/lock

hooks: setup  ## install the pre-commit hooks (lint and format on every commit)
	$(VENV)/pre-commit install
