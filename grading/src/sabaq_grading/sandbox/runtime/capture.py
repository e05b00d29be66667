"""Notebook-style output capture for the in-sandbox IPython shell.

Streams, rich displays, execute results and errors of a cell become nbformat v4 output
dicts in a :class:`Sink`, which enforces the per-cell output budget: beyond it, output is
dropped and one clear truncation marker is appended.
"""

from __future__ import annotations

import io
import json
from typing import Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell

Output = dict[str, Any]


class Sink:
    """The outputs of one cell, capped at ``budget`` bytes in total."""

    def __init__(self, budget: int) -> None:
        self.outputs: list[Output] = []
        self.budget = budget
        self.used = 0
        self.truncated = False
        self.error: dict[str, Any] | None = None

    def _take(self, size: int) -> int:
        """Reserve up to ``size`` bytes of the budget; return how many were granted."""
        granted = max(0, min(size, self.budget - self.used))
        self.used += granted
        if granted < size and not self.truncated:
            self.truncated = True
            self.outputs.append({"output_type": "stream", "name": "stderr",
                                 "text": f"\n[output truncated: this cell printed more than "
                                         f"{self.budget} bytes; the rest was dropped]\n"})
        return granted

    def stream(self, name: str, text: str) -> None:
        """Append text to the cell's ``stdout`` or ``stderr`` stream output."""
        if self.truncated or not text:
            return
        granted = self._take(len(text))
        if granted:
            text = text[:granted]
            last = self.outputs[-1] if self.outputs else None
            if last is not None and last["output_type"] == "stream" and last["name"] == name:
                last["text"] += text
            else:
                self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def rich(self, output: Output) -> None:
        """Append a display_data, execute_result or error output if it fits the budget."""
        if self.truncated:
            return
        try:
            size = len(json.dumps(output, default=str))
        except (TypeError, ValueError):
            return
        if self._take(size) == size:
            self.outputs.append(output)


class _State:
    """Where captured output goes right now (one sink per running cell).

    ``sink`` is replaced per cell, so the tamper snapshot must not restore it: the guard
    skips this class (see ``guard.UNPROTECTED``).
    """

    sink = Sink(0)


class Stream(io.TextIOBase):
    """A text stream (``sys.stdout`` / ``sys.stderr``) that writes into the current sink."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    @property
    def name(self) -> str:
        return f"<{self._name}>"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        _State.sink.stream(self._name, text)
        return len(text)

    def flush(self) -> None:
        return None


def _jsonable(data: Any) -> dict[str, Any]:
    return {str(k): v for k, v in dict(data or {}).items()}


class SinkDisplayPublisher(DisplayPublisher):
    """Turns ``display()`` calls into ``display_data`` outputs."""

    def publish(self, data: Any, metadata: Any = None, source: Any = None, *,
                transient: Any = None, update: bool = False, **kwargs: Any) -> None:
        _State.sink.rich({"output_type": "display_data", "data": _jsonable(data),
                          "metadata": _jsonable(metadata)})

    def clear_output(self, wait: bool = False) -> None:
        _State.sink.outputs.clear()


class SinkDisplayHook(DisplayHook):
    """Turns the value of a cell's last expression into an ``execute_result`` output."""

    def start_displayhook(self) -> None:
        return None

    def write_output_prompt(self) -> None:
        return None

    def write_format_data(self, format_dict: Any, md_dict: Any = None) -> None:
        _State.sink.rich({"output_type": "execute_result",
                          "execution_count": getattr(self.shell, "execution_count", None),
                          "data": _jsonable(format_dict), "metadata": _jsonable(md_dict)})

    def finish_displayhook(self) -> None:
        return None


class SandboxShell(InteractiveShell):
    """An InteractiveShell whose tracebacks become ``error`` outputs instead of printed text."""

    def enable_gui(self, gui: Any = None) -> None:
        """No event loops here: only the inline matplotlib backend is used."""

    def _showtraceback(self, etype: Any, evalue: Any, stb: list[str]) -> None:
        error = {"ename": getattr(etype, "__name__", str(etype)), "evalue": _safe_str(evalue),
                 "traceback": [str(line) for line in stb]}
        _State.sink.error = error
        _State.sink.rich({"output_type": "error", **error})


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except BaseException:
        return "<exception that cannot be printed>"


def build_shell() -> SandboxShell:
    """Create the pristine shell once, in the zygote, before any submission exists."""
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # its writer thread would break fork()
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.autocall = 0
    shell = SandboxShell.instance(config=config, displayhook_class=SinkDisplayHook,
                                  display_pub_class=SinkDisplayPublisher)
    return shell


def show_result(shell: Any, value: Any) -> None:
    """Record a test's last value as its ``execute_result``, formatted as IPython would.

    nbgrader reads partial credit from that output's ``text/plain``. A formatter that
    raises shows its traceback (an ``error`` output), as in a notebook.
    """
    data, metadata = shell.display_formatter.format(value)
    if data:
        _State.sink.rich({"output_type": "execute_result",
                          "execution_count": getattr(shell, "execution_count", None),
                          "data": _jsonable(data), "metadata": _jsonable(metadata)})


def begin(budget: int) -> Sink:
    """Start capturing a new cell's output and return its sink."""
    _State.sink = Sink(budget)
    return _State.sink
