"""What a notebook author expects: outputs, errors, magics, figures, data files, parallelism."""

from __future__ import annotations

import base64
import concurrent.futures
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Runner

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def test_three_cell_submission(sbx: Runner) -> None:
    result = sbx(("code", "def f(x):\n    return x + 1"), ("test", "assert f(1) == 2"),
                 ("test", "assert f(1) == 3, 'f(1) should be 3'"))
    assert result.ended == "completed" and result.message == ""
    assert [c.status for c in result.cells] == ["ok", "ok", "error"]
    error = result.cells[2].error
    assert error is not None and error["ename"] == "AssertionError"
    assert error["evalue"] == "f(1) should be 3"
    assert any("<test c2>" in line for line in error["traceback"])
    assert result.total_ms >= result.code_ms > 0


def test_stream_and_execute_result(sbx: Runner) -> None:
    result = sbx(("code", "import sys\nprint('hello')\nprint('oops', file=sys.stderr)\n6 * 7"))
    outputs = result.cells[0].outputs
    assert {"output_type": "stream", "name": "stdout", "text": "hello\n"} in outputs
    assert {"output_type": "stream", "name": "stderr", "text": "oops\n"} in outputs
    results = [o for o in outputs if o["output_type"] == "execute_result"]
    assert results and results[0]["data"]["text/plain"] == "42"


def test_rich_display(sbx: Runner) -> None:
    source = ("from IPython.display import HTML, Image, display\n"
              "display(HTML('<b>bold</b>'))\n"
              f"display(Image(data={PNG!r}))")
    result = sbx(("code", source))
    data = [o["data"] for o in result.cells[0].outputs if o["output_type"] == "display_data"]
    assert data[0]["text/html"] == "<b>bold</b>"
    assert base64.b64decode(data[1]["image/png"]) == PNG


def test_error_with_traceback(sbx: Runner) -> None:
    result = sbx(("code", "def g():\n    return 1 / 0\ng()"), ("code", "print('next')"))
    first = result.cells[0]
    assert first.status == "error" and first.error is not None
    assert first.error["ename"] == "ZeroDivisionError"
    assert any("g()" in line for line in first.error["traceback"])
    assert any(o["output_type"] == "error" for o in first.outputs)
    assert result.cells[1].status == "ok" and sbx.text(result, 1) == "next\n"


def test_syntax_error_is_an_error(sbx: Runner) -> None:
    result = sbx(("code", "def broken(:"), ("test", "def (:"))
    assert [c.status for c in result.cells] == ["error", "error"]
    assert result.cells[1].error is not None and result.cells[1].error["ename"] == "SyntaxError"


def test_magics(sbx: Runner) -> None:
    result = sbx(("code", "%time x = sum(range(10))"),
                 ("code", "%%capture captured\nprint('hidden')"),
                 ("test", "assert x == 45 and captured.stdout == 'hidden\\n'"))
    assert [c.status for c in result.cells] == ["ok", "ok", "ok"]
    assert "Wall time" in sbx.text(result, 0)
    assert sbx.text(result, 1) == ""


def test_matplotlib_figure_is_png(sbx: Runner) -> None:
    result = sbx(("code", "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\n"
                                    "plt.title('t')"))
    images = [o for o in result.cells[0].outputs
              if o["output_type"] == "display_data" and "image/png" in o["data"]]
    assert len(images) == 1
    assert base64.b64decode(images[0]["data"]["image/png"]).startswith(b"\x89PNG")


def test_files_are_in_the_working_directory(sbx: Runner) -> None:
    files = {"data.csv": b"a,b\n1,2\n", "sub/dir/notes.txt": b"hi"}
    result = sbx(("code", "import pandas as pd\ndf = pd.read_csv('data.csv')"),
                 ("test", "assert df['b'][0] == 2\nassert open('sub/dir/notes.txt').read() == 'hi'"),
                 files=files)
    assert [c.status for c in result.cells] == ["ok", "ok"]


def test_bad_file_paths_are_refused(sbx: Runner) -> None:
    for bad in ("../escape", "/etc/passwd", "a//b", ""):
        with pytest.raises(ValueError, match="relative"):
            sbx(("code", "1"), files={bad: b"x"})


def test_parallel_runs(sbx: Runner) -> None:
    def one(n: int) -> list[str]:
        result = sbx(("code", f"import time\nvalue = {n}\ntime.sleep(0.2)"),
                     ("test", f"assert value == {n}"), ("test", f"assert value == {n + 1}"))
        assert result.ended == "completed"
        return [c.status for c in result.cells]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(one, range(6)))
    assert statuses == [["ok", "ok", "error"]] * 6


def test_namespace_is_fresh_per_submission(sbx: Runner) -> None:
    sbx(("code", "leftover = 1\nimport numpy\nnumpy.leftover = 2"))
    result = sbx(("test", "assert 'leftover' not in globals()"),
                 ("test", "import numpy\nassert not hasattr(numpy, 'leftover')"))
    assert [c.status for c in result.cells] == ["ok", "ok"]


def test_no_cells(sbx: Runner) -> None:
    result = sbx()
    assert result.ended == "completed" and result.cells == []


def test_large_files_and_cells(sbx: Runner) -> None:
    blob = bytes(range(256)) * (24 << 10)  # 6 MiB
    big_cell = "values = [\n" + "    1,\n" * 200_000 + "]"
    result = sbx(("code", big_cell), ("test", "assert len(values) == 200_000"),
                 ("test", f"assert open('blob.bin', 'rb').read() == bytes(range(256)) * {24 << 10}"),
                 files={"blob.bin": blob})
    assert [c.status for c in result.cells] == ["ok", "ok", "ok"], result.message
