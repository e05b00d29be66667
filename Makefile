# The two set-up commands of the README, and a few conveniences.
# Every target installs what it needs first (.ci/setup is idempotent).
.PHONY: setup demo grading-demo test lint lock bench

setup:
	bash .ci/setup

demo: setup
	@if [ -x .ci/demo ]; then bash .ci/demo; else .venv/bin/python bench/grading_demo.py; fi

grading-demo: setup
	.venv/bin/python bench/grading_demo.py

test: setup lint
	PATH="$(CURDIR)/.venv/bin:$$PATH" .venv/bin/python -m pytest -p no:cacheprovider

# Static checks, run before the tests: ruff, and mypy --strict over the three distributions'
# sources (both configured in pyproject.toml).
lint: setup
	.venv/bin/ruff check contract grading plugin widgets tutor-plugin lti tests bench courses
	.venv/bin/mypy

# Re-resolve the development environment in a throw-away venv and rewrite .ci/constraints.txt.
lock:
	bash .ci/lock

bench: setup
	.venv/bin/python bench/bench_grading.py
