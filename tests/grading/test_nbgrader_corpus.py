"""Sabaq's grades equal nbgrader's on nbgrader's own corpus (its test notebooks and documentation example).

Real nbgrader (``generate_assignment`` and ``autograde`` in a course directory, read back through
its gradebook) and real ``sabaq grade`` in its sandbox run once for the module; each submission is
then compared cell by cell. Where nbgrader refuses a notebook, Sabaq must refuse it too (an
``error`` report) or grade it with a warning about the metadata schema it upgraded.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent


def _load_corpus() -> Any:
    name = "sabaq_tests_nbgrader_corpus"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "nbgrader_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Both graders over the whole corpus, once. No sandbox is a failure, not a skip, unless bubblewrap is absent."""
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap ('bwrap') is not installed: sabaq grade cannot sandbox (Debian package 'bubblewrap')")
    return corpus.run_corpus(tmp_path_factory.mktemp("nbgrader-corpus"))


def test_nbgrader_grades_here_as_its_own_tests_assert(graded: Any) -> None:
    """The harness runs nbgrader as its tests do: the scores and refusals they assert come out."""
    wrong = corpus.unreproduced(graded)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("scenario", "student"), corpus.CASES, ids=[f"{s}/{x}" for s, x in corpus.CASES])
def test_sabaq_grades_as_nbgrader(graded: Any, scenario: str, student: str) -> None:
    outcome = graded[(scenario, student)]
    assert not corpus.disagreements(outcome), corpus.explain(outcome)


def test_every_scenario_names_its_nbgrader_origin_and_exists() -> None:
    names = [s.name for s in corpus.SCENARIOS]
    assert len(names) == len(set(names))
    for scenario in corpus.SCENARIOS:
        assert scenario.origin, scenario.name
        notebooks = [scenario.source, *(x.notebook for x in scenario.students)]
        for path in [*notebooks, *scenario.files.values()]:
            assert not isinstance(path, Path) or path.is_file(), f"{scenario.name}: {path} is not in nbgrader's corpus"


def test_agreement_summary(graded: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Prints how many submissions agree on every cell and how many refusals are handled."""
    text = corpus.summary(graded)
    with capsys.disabled():
        print("\n" + text)
    assert len(graded.outcomes) == len(corpus.CASES)
