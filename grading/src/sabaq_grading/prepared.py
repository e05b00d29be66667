"""Prepared assignments kept on disk between runs of ``sabaq grade``.

nbgrader grades against the student version ``generate_assignment`` wrote earlier; Sabaq
prepares an assignment (metadata upgraded, AUTOTEST lines expanded, the student version
made by nbgrader's own preprocessors) when it grades. Doing that costs most of a
``sabaq grade`` start (nbgrader's preprocessors import nbconvert, SQLAlchemy and
setuptools; an AUTOTEST notebook runs a kernel), so the result is kept, addressed by
everything it is made from:

- the bytes of the instructor notebook, the header and the footer;
- the data files beside it and the ``autotests.yml`` nbgrader would use (an AUTOTEST
  expansion runs the notebook's code, which reads them);
- the source of this package and the versions of nbgrader, nbformat and Python.

Change any of them and the key changes: an entry is never stale, only unused. A notebook
with AUTOTEST lines is never kept: expanding them runs its code in a kernel, whose result may
depend on files anywhere and on the kernel's own libraries, which no key can cover.

Each entry holds the SHA-256 of its own content; one that does not parse or match it is
ignored and prepared again. The folder must belong to the user and be writable by nobody
else, or it is not used at all (another user could plant a consistent entry). Entries are
written atomically (a rename), so concurrent runs never read a half-written one. The cache
lives in ``$SABAQ_CACHE_DIR``, else ``$XDG_CACHE_HOME/sabaq``, else ``~/.cache/sabaq``;
the newest ``MAX_ENTRIES`` are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FORMAT = 1
MAX_ENTRIES = 256
_PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path:
    """Where prepared assignments are kept (see the module docstring)."""
    explicit = os.environ.get("SABAQ_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sabaq"


def _code_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for distribution in ("nbgrader", "nbformat"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            digest.update(f"{distribution}=={importlib.metadata.version(distribution)}\0".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def key(instructor: Path, *, name: str, header: Path | None, footer: Path | None,
        files: Mapping[str, bytes], autotests: Path | None) -> str:
    """The address of the assignment prepared from exactly these inputs."""
    digest = hashlib.sha256(f"sabaq-prepared-{FORMAT}\0{_code_digest()}\0{name}\0".encode())
    for label, path in (("instructor", instructor), ("header", header), ("footer", footer),
                        ("autotests", autotests)):
        content = path.read_bytes() if path is not None else b""
        digest.update(f"{label}\0{path is not None}\0{len(content)}\0".encode() + content)
    for relative in sorted(files):
        content = files[relative]
        digest.update(f"file\0{relative}\0{len(content)}\0".encode() + content)
    return digest.hexdigest()


def cacheable(instructor: Path) -> bool:
    """Whether the assignment prepared from ``instructor`` may be kept (no AUTOTEST lines)."""
    try:
        return "AUTOTEST" not in instructor.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def _private(folder: Path) -> bool:
    """Whether ``folder`` is the user's own and writable by nobody else."""
    try:
        status = folder.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(status.st_mode) and status.st_uid == os.getuid() and not status.st_mode & 0o022


def _digest(entry: Mapping[str, Any]) -> str:
    content = {k: v for k, v in entry.items() if k != "digest"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def load(address: str, directory: Path | None = None) -> dict[str, Any] | None:
    """The entry stored at ``address``, or None when there is none (or it is unusable)."""
    folder = (directory or cache_dir()) / "assignments"
    if not _private(folder):
        return None
    path = folder / f"{address}.json"
    try:
        entry = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not (isinstance(entry, dict) and entry.get("format") == FORMAT and entry.get("key") == address
            and entry.get("digest") == _digest(entry)):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return entry


def store(address: str, entry: Mapping[str, Any], directory: Path | None = None) -> None:
    """Keep ``entry`` at ``address``; a cache that cannot be written is silently not used."""
    folder = (directory or cache_dir()) / "assignments"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(folder):
            return
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            content = {**entry, "format": FORMAT, "key": address}
            json.dump({**content, "digest": _digest(content)}, stream)
        os.replace(temporary, folder / f"{address}.json")
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(temporary)
        return
    _prune(folder)


def _prune(folder: Path) -> None:
    entries = []
    for path in folder.glob("*.json"):
        with contextlib.suppress(OSError):
            entries.append((path.stat().st_mtime, path))
    for _, path in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        with contextlib.suppress(OSError):
            path.unlink()
