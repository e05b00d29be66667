"""A publishing university for the tests: its key, its course and the bundles it publishes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
SABAQ = str(Path(sys.executable).parent / "sabaq")
FIXTURE = ROOT / "tests" / "fixtures" / "course"
SQUARES = "source/squares/squares.ipynb"


def sabaq(*args: str) -> None:
    result = subprocess.run([SABAQ, *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


class Publisher:
    """A university with a key, its course, and the bundles it publishes."""

    def __init__(self, root: Path, name: str = "uni-a") -> None:
        self.root = root
        self.course = root / "course"
        shutil.copytree(FIXTURE, self.course)
        sabaq("keys", "new", name, "--out", str(root / "keys"))
        self.key, self.pub = root / "keys" / f"{name}.key", root / "keys" / f"{name}.pub"

    def bundle(self, version: str, edit: Any = None) -> Path:
        toml = self.course / "course.toml"
        toml.write_text(re.sub(r'version = "[^"]+"', f'version = "{version}"', toml.read_text(), count=1))
        if edit is not None:
            edit(self.course)
        out = self.root / "dist" / version
        sabaq("bundle", str(self.course), "--key", str(self.key), "--out", str(out))
        (path,) = out.glob("*.sabaq")
        return path

    def unit(self, bundle: Path) -> str:
        """The squares unit of a partner course built from ``bundle``."""
        archive = self.root / f"partner-{bundle.stem}.tar.gz"
        sabaq("build", str(bundle), "--trust", str(self.pub), "--out", str(archive))
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if member.name.startswith("course/sabaq_notebook/") and member.isfile():
                    olx = tar.extractfile(member).read().decode()  # type: ignore[union-attr]
                    if 'weight="1.0"' in olx:
                        return olx.strip()
        raise AssertionError("no assignment unit in the export")


def correct_the_test(course: Path) -> None:
    path = course / SQUARES
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "test-square":
            source = "".join(cell["source"])
            cell["source"] = source.replace("assert square(0) == 0", "assert square(0) == 0\nassert square(-2) == 4")
    path.write_text(json.dumps(notebook, indent=1))


