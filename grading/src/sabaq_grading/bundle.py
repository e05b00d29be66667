"""Making module bundles: ``sabaq bundle`` (the format and its checks: :mod:`sabaq_contract.bundles`).

A bundle holds the course's (or the named modules') instructor notebooks, lessons, the data
beside the assignments, the course's ``data/`` folder, its header and footer and its licence
files, never the course's ``instructor/`` folder (marking guides stay at home) nor hidden
files. The archive is deterministic (sorted entries, fixed timestamps): the same course and
key make the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sabaq_contract.bundles import (
    FILES,
    FORMAT,
    MANIFEST,
    SIGNATURE,
    SUFFIX,
    Bundle,
    BundleError,
    canonical,
    check_bundle,
    read_bundle,
)

from . import __version__
from .course import Course, Module
from .signing import sign

__all__ = ["Bundle", "BundleError", "check_bundle", "make_bundle", "read_bundle", "select_modules"]

_STAMP = (1980, 1, 1, 0, 0, 0)
_LICENCE_FILES = ("LICENSE", "LICENSE-CODE", "LICENCE", "LICENSE.md", "LICENCE.md", "COPYING")


def bundle_id(course: Course, modules: Sequence[Module]) -> str:
    """The whole course's id, or ``<course>.<module>[.<module>...]`` for some of its modules."""
    if [m.id for m in modules] == [m.id for m in course.modules]:
        return course.id
    return ".".join([course.id, *(m.id for m in modules)])


def select_modules(course: Course, names: Sequence[str] | None) -> tuple[Module, ...]:
    if not names:
        return course.modules
    known = {module.id: module for module in course.modules}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise BundleError(f"{course.root}: no module {', '.join(map(repr, unknown))} in course.toml "
                          f"(its modules: {', '.join(known)})")
    return tuple(module for module in course.modules if module.id in set(names))


def _course_files(course: Course, modules: Sequence[Module]) -> dict[str, bytes]:
    root = course.root.resolve()
    wanted: set[Path] = set()
    for module in modules:
        for item in module.items:
            wanted.add(item.path)
            if item.kind == "assignment":  # its data, as nbgrader copies it into release/
                wanted.update(p for p in item.path.parent.iterdir() if p.is_file() and p.suffix != ".ipynb")
    for extra in (course.header, course.footer):
        if extra is not None:
            wanted.add(extra)
    data = root / "data"
    if data.is_dir():
        wanted.update(p for p in data.rglob("*") if p.is_file())
    wanted.update(root / name for name in _LICENCE_FILES if (root / name).is_file())
    files: dict[str, bytes] = {}
    for path in sorted(wanted):
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            raise BundleError(f"{path}: outside the course directory {root}; a bundle holds only the course's files")
        relative = resolved.relative_to(root).as_posix()
        parts = relative.split("/")
        if parts[0].lower() == "instructor" or any(p.startswith(".") or p == "__pycache__" for p in parts):
            continue  # marking guides stay home; hidden files (.env, checkpoints) are nobody's to share
        files[relative] = resolved.read_bytes()
    return files


def _metadata_version(files: Mapping[str, bytes]) -> int:
    versions = {0}
    for name, content in files.items():
        if name.endswith(".ipynb"):
            try:
                cells = json.loads(content).get("cells", [])
            except (ValueError, AttributeError):
                raise BundleError(f"{name}: not a notebook (it does not parse as JSON)") from None
            for cell in cells:
                meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
                if isinstance(meta, dict) and isinstance(meta.get("schema_version"), int):
                    versions.add(meta["schema_version"])
    return max(versions)


def manifest_for(course: Course, modules: Sequence[Module], files: Mapping[str, bytes]) -> dict[str, Any]:
    if not course.licence:
        raise BundleError(f"{course.root}: course.toml has no `licence`; a bundle travels only with one "
                          f"(an SPDX id such as \"CC-BY-4.0\")")
    root = course.root.resolve()
    return {
        "format": FORMAT,
        "id": bundle_id(course, modules),
        "version": course.version,
        "title": course.title if len(modules) == len(course.modules) else
        f"{course.title}: {', '.join(m.title for m in modules)}",
        "course": {"id": course.id, "title": course.title, "organisation": course.organisation,
                   "language": course.language},
        "description": course.description,
        "languages": sorted({item.language for m in modules for item in m.items} | {course.language}),
        "licence": course.licence,
        "authors": [{"name": a.name, "role": a.role} for a in course.authors],
        "nbgrader_metadata_version": _metadata_version(files),
        "requires_sabaq": f">={__version__}",
        "header": _relative(course.header, root),
        "footer": _relative(course.footer, root),
        "grading": [{"type": t.type, "short_label": t.short_label, "weight": t.weight, "drop": t.drop}
                    for t in course.grading],
        "modules": [{"id": m.id, "title": m.title, "items": [
            {"kind": item.kind, "path": item.path.resolve().relative_to(root).as_posix(),
             "language": item.language, "title": item.title,
             **({"type": course.assignment_type(item).type} if item.kind == "assignment" else {})}
            for item in m.items]} for m in modules],
        "files": {name: {"sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)}
                  for name, content in sorted(files.items())},
    }


def _relative(path: Path | None, root: Path) -> str | None:
    return None if path is None else path.resolve().relative_to(root).as_posix()


def make_bundle(course: Course, modules: Sequence[Module], key: Any) -> tuple[str, bytes]:
    """The bundle of ``modules`` of ``course`` signed with ``key``: (file name, bytes)."""
    files = _course_files(course, modules)
    manifest = manifest_for(course, modules, files)
    body = canonical(manifest)
    signature = json.dumps(sign(key, body), sort_keys=True).encode("ascii")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in [(MANIFEST, body), (SIGNATURE, signature),
                              *((FILES + path, files[path]) for path in sorted(files))]:
            info = zipfile.ZipInfo(name, _STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, content)
    return f"{manifest['id']}-{manifest['version']}{SUFFIX}", out.getvalue()
