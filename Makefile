# The two commands of the README. Everything installs into .venv.
.PHONY: run test setup bench lint

run: setup
	.venv/bin/chatbot run

test: setup
	bash scripts/test

setup:
	bash scripts/setup

bench: setup
	.venv/bin/python bench/run_all.py

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy
