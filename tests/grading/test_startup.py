"""Sabaq's own processes start without what they never use (see sabaq_grading.startup)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SQUARES = ROOT / "tests" / "fixtures" / "course" / "source" / "squares" / "squares.ipynb"


def test_nbgrader_works_without_its_server_extensions() -> None:
    code = (
        "import sys\n"
        "from sabaq_grading.startup import light_nbgrader, skip_format_checkers\n"
        "skip_format_checkers(); light_nbgrader()\n"
        "from pathlib import Path\n"
        "from sabaq_grading.engine import Assignment\n"
        f"a = Assignment.from_notebook(Path({str(SQUARES)!r}))\n"
        "assert a.max_score > 0 and 'BEGIN SOLUTION' not in str(a.release)\n"
        "import nbgrader\n"
        "assert nbgrader.__version__\n"
        "from sabaq_grading.startup import FORMAT_CHECKER_PACKAGES\n"
        "unused = ('nbgrader.server_extensions', 'arrow', *FORMAT_CHECKER_PACKAGES)\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in unused or m.startswith(unused[0])]\n"
        "assert not [m for m in loaded if sys.modules[m] is not None], loaded\n"
        "import nbformat  # validation needs none of them: formats are checked only on request\n"
        "bad = nbformat.v4.new_notebook(); bad.cells.append({'cell_type': 'code', 'source': 1})\n"
        "try:\n    nbformat.validate(bad)\nexcept nbformat.ValidationError:\n    pass\n"
        "else:\n    raise AssertionError('an invalid notebook passed')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_nbgrader_utils_imports_without_setuptools() -> None:
    code = (
        "import sys\n"
        "from sabaq_grading.startup import light_nbgrader, skip_format_checkers\n"
        "skip_format_checkers(); light_nbgrader()\n"
        "from sabaq_grading.startup import nbgrader_utils\n"
        "utils = nbgrader_utils()\n"
        "assert utils.determine_grade and utils is sys.modules['nbgrader.utils']\n"
        "assert 'setuptools' not in sys.modules, [m for m in sys.modules if 'setuptools' in m]\n"
        "assert 'setuptools.archive_util' not in sys.modules  # the stand-in is gone again\n"
        "import setuptools.archive_util\n"
        "assert setuptools.archive_util.unpack_archive.__module__ == 'setuptools.archive_util'\n"
        "assert len([n for n in dir(setuptools.archive_util) if not n.startswith('_')]) > 3\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_nbgrader_utils_is_never_handed_out_half_imported_to_another_thread() -> None:
    """The module sits in sys.modules from the moment its import starts; a second grading
    thread asking meanwhile must wait for it, not get a module without determine_grade."""
    code = (
        "import importlib.abc, importlib.machinery, sys, threading, time\n"
        "from sabaq_grading.startup import light_nbgrader, skip_format_checkers\n"
        "skip_format_checkers(); light_nbgrader()\n"
        "class Slow(importlib.abc.MetaPathFinder):  # holds nbgrader.utils mid-import\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name != 'nbgrader.utils':\n"
        "            return None\n"
        "        spec = importlib.machinery.PathFinder.find_spec(name, path)\n"
        "        real = spec.loader.exec_module\n"
        "        def exec_module(module):\n"
        "            time.sleep(0.5)\n"
        "            real(module)\n"
        "        spec.loader.exec_module = exec_module\n"
        "        return spec\n"
        "sys.meta_path.insert(0, Slow())\n"
        "from sabaq_grading.startup import nbgrader_utils\n"
        "got, errors = [], []\n"
        "def grade():\n"
        "    try:\n"
        "        got.append(nbgrader_utils().determine_grade)\n"
        "    except Exception as exc:\n"
        "        errors.append(repr(exc))\n"
        "first = threading.Thread(target=grade); first.start(); time.sleep(0.1)\n"
        "others = [threading.Thread(target=grade) for _ in range(4)]\n"
        "for thread in others: thread.start()\n"
        "for thread in [first, *others]: thread.join()\n"
        "assert not errors and len(got) == 5 and len(set(got)) == 1, errors\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_the_archive_helpers_nbgrader_imports_still_work_when_called(tmp_path: Path) -> None:
    """nbgrader.utils' setuptools helpers are loaded on first use, and then are setuptools' own."""
    import zipfile

    archive = tmp_path / "work.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("answers/one.txt", "42")
    code = (
        "import sys\n"
        "from sabaq_grading.startup import light_nbgrader, skip_format_checkers\n"
        "skip_format_checkers(); light_nbgrader()\n"
        "from sabaq_grading.startup import nbgrader_utils\n"
        "unzip = nbgrader_utils().unzip\n"
        "assert 'setuptools' not in sys.modules\n"
        f"unzip({str(archive)!r}, {str(tmp_path / 'out')!r})\n"
        "import setuptools.archive_util as real\n"
        "assert type(real).__name__ == 'module' and real.unpack_archive.__module__ == 'setuptools.archive_util'\n"
        "assert real.UnrecognizedFormat\n"
    )
    (tmp_path / "out").mkdir()
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert (tmp_path / "out" / "answers" / "one.txt").read_text() == "42"


def test_the_command_exits_with_mains_code_and_its_output_flushed(tmp_path: Path) -> None:
    sabaq = Path(sys.executable).parent / "sabaq"
    missing = subprocess.run([str(sabaq), "grade", str(SQUARES), str(tmp_path / "none.ipynb")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no such notebook file" in missing.stderr
    version = subprocess.run([str(sabaq), "--version"], capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.strip()
