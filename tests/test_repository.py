"""Repository-wide promises: the README's two commands, CI calling the test one and linting first,
an environment holding exactly the locked versions, and npm builds pinned by integrity."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("```", 2)[1]
    return [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_second() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[1] in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for command in commands:
        target = command.removeprefix("make ").strip()
        assert f"\n{target}: setup" in makefile


def makefile_rule(target: str) -> list[str]:
    """The prerequisites line and recipe of ``target`` in the Makefile."""
    text = (ROOT / "Makefile").read_text()
    rule = text.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in rule.splitlines()]


def test_the_test_command_lints_with_ruff_and_strict_mypy_first() -> None:
    assert "lint" in makefile_rule("test")[0].split()
    lint = makefile_rule("lint")
    assert any(line.startswith(".venv/bin/ruff check ") for line in lint[1:])
    assert ".venv/bin/mypy" in lint[1:]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    # every distribution's sources: each directory beside tests/ with a pyproject.toml
    distributions = {path.parent.name for path in ROOT.glob("*/pyproject.toml")}
    assert set(config["files"]) == {f"{name}/src" for name in distributions}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions() -> dict[str, str]:
    lines = (ROOT / ".ci" / "constraints.txt").read_text().splitlines()
    pins = [line.split("==") for line in lines if line.strip() and not line.startswith("#")]
    assert all(len(pin) == 2 for pin in pins), "every line of .ci/constraints.txt is name==version"
    return {canonical(name): version.strip() for name, version in pins}


def test_lock_pins_everything_but_our_own_distributions() -> None:
    locked = locked_versions()
    assert not {name for name in locked if name.startswith("sabaq-")}
    assert {"pip", "pytest", "babel", "mypy", "ruff", "nbgrader", "xblock"} <= set(locked)


def test_environment_holds_the_locked_versions() -> None:
    locked = locked_versions()
    installed = {canonical(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}
    drift = {name: (installed.get(name, "missing"), version) for name, version in locked.items()
             if installed.get(name) != version}
    assert not drift, ("the environment differs from .ci/constraints.txt (installed, locked): "
                       f"{drift}; run `rm .venv/.sabaq-installed && make setup`")


def test_npm_locks_pin_every_package_by_integrity_alone() -> None:
    frontend = ROOT / "plugin" / "frontend"
    manifest = json.loads((frontend / "package.json").read_text())
    lock = json.loads((frontend / "package-lock.json").read_text())
    root = lock["packages"][""]
    assert root["dependencies"] == manifest["dependencies"], "run plugin/frontend/build.sh --update-lock"
    assert root["devDependencies"] == manifest["devDependencies"], "run plugin/frontend/build.sh --update-lock"
    widgets = json.loads((ROOT / "widgets" / "js" / "vendor-lock.json").read_text())
    entries = [entry for path, entry in lock["packages"].items() if path] + list(widgets["packages"].values())
    for entry in entries:
        assert entry["integrity"].startswith("sha512-"), entry
        assert "resolved" not in entry, "lock files record no download addresses"
