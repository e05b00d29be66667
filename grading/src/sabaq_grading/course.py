"""Load ``courses/<slug>/course.toml`` into typed, validated objects.

A course directory follows nbgrader's layout (``source/<assignment>/*.ipynb``)
with lessons beside it, so plain ``nbgrader generate_assignment`` works on it
too. Every mistake in ``course.toml`` is reported with the file, the field and
how to fix it; all mistakes are collected before raising.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sabaq_contract.identifiers import SEMVER, SLUG, SPDX

from .course_grading import DEFAULT, AssignmentType, assignment_types
from .errors import CourseError

COURSE_FILE = "course.toml"
ItemKind = Literal["lesson", "assignment"]
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")



@dataclass(frozen=True)
class Author:
    name: str
    role: str


@dataclass(frozen=True)
class Item:
    """One notebook of a module: a lesson or an nbgrader assignment."""

    kind: ItemKind
    path: Path  # absolute path of the notebook
    relpath: str  # as written in course.toml
    language: str
    title: str | None
    type: str | None = None  # an assignment's type in the grading policy (see course_grading)

    @property
    def assignment(self) -> str | None:
        """The nbgrader assignment name (``source/<assignment>/...``), if any."""
        parts = Path(self.relpath).parts
        return parts[1] if self.kind == "assignment" else None


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Course:
    root: Path
    id: str
    title: str
    organisation: str
    version: str
    language: str
    licence: str
    description: str
    authors: tuple[Author, ...]
    modules: tuple[Module, ...]
    header: Path | None = None  # nbgrader's IncludeHeaderFooter.header: cells put before every assignment
    footer: Path | None = None  # ... and after
    grading: tuple[AssignmentType, ...] = DEFAULT  # the assignment types and their weights

    def assignment_type(self, item: Item) -> AssignmentType:
        """The type ``item`` (an assignment) counts as in the grading policy."""
        return next((t for t in self.grading if t.type == item.type), self.grading[0])

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for module in self.modules for item in module.items)

    @property
    def assignments(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.kind == "assignment")

    @property
    def lessons(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.kind == "lesson")


class _Problems:
    """Collects every mistake in one file so the author fixes them in one pass."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.messages: list[str] = []

    def add(self, field: str, problem: str, fix: str) -> None:
        self.messages.append(f"{self.path}: `{field}` {problem}; {fix}")

    def raise_if_any(self) -> None:
        if self.messages:
            raise CourseError("\n".join(self.messages))


def _text(
    data: dict[str, Any],
    key: str,
    where: str,
    problems: _Problems,
    pattern: re.Pattern[str] | None = None,
    fix: str = "",
) -> str:
    field = f"{where}{key}"
    if key not in data:
        problems.add(field, "is missing", fix or f'add `{key} = "..."`')
        return ""
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        problems.add(field, f"must be a non-empty string, not {value!r}", fix or f'write `{key} = "..."`')
        return ""
    if pattern is not None and not pattern.match(value):
        problems.add(field, f"has the invalid value {value!r}", fix)
        return ""
    return value


def _authors(data: dict[str, Any], problems: _Problems) -> tuple[Author, ...]:
    raw = data.get("authors")
    fix = 'write `authors = [{ name = "Course team", role = "author" }]`'
    if not isinstance(raw, list) or not raw:
        problems.add("authors", "must be a non-empty list of { name, role } tables", fix)
        return ()
    authors = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            problems.add(f"authors[{index}]", "must be a table with `name` and `role`", fix)
            continue
        name = _text(entry, "name", f"authors[{index}].", problems)
        role = _text(entry, "role", f"authors[{index}].", problems)
        authors.append(Author(name, role))
    return tuple(authors)


def _item(root: Path, entry: Any, where: str, default_language: str, problems: _Problems) -> Item | None:
    if not isinstance(entry, dict):
        problems.add(where, "must be a table", 'write `{ kind = "lesson", path = "lessons/x.ipynb" }`')
        return None
    kind = entry.get("kind")
    if kind not in ("lesson", "assignment"):
        problems.add(f"{where}.kind", f"is {kind!r}", 'use "lesson" or "assignment"')
        return None
    relpath = _text(entry, "path", f"{where}.", problems)
    if not relpath:
        return None
    path = (root / relpath).resolve()
    if not path.is_relative_to(root.resolve()):
        problems.add(f"{where}.path", f"points outside the course ({relpath})", "keep notebooks inside the course")
        return None
    if path.suffix != ".ipynb":
        problems.add(f"{where}.path", f"is not a notebook ({relpath})", "point it at an .ipynb file")
        return None
    if not path.is_file():
        problems.add(f"{where}.path", f"names a missing file ({relpath})", "fix the path or add the notebook")
        return None
    parts = Path(relpath).parts
    if kind == "assignment" and (len(parts) != 3 or parts[0] != "source"):
        problems.add(f"{where}.path", f"is {relpath!r}", "assignments live at source/<assignment>/<notebook>.ipynb")
        return None
    language = entry.get("language", default_language)
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        problems.add(f"{where}.language", f"is {language!r}", 'use a language tag such as "en" or "ur"')
        return None
    title = entry.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        problems.add(f"{where}.title", f"is {title!r}", "give a non-empty string or leave it out")
        return None
    kind_of = entry.get("type")
    if kind_of is not None and (kind != "assignment" or not isinstance(kind_of, str)):
        problems.add(f"{where}.type", f"is {kind_of!r}", "give an assignment the name of a `[[grading]]` type")
        return None
    return Item(kind, path, relpath, language, title, kind_of)


def _modules(root: Path, data: dict[str, Any], language: str, problems: _Problems) -> tuple[Module, ...]:
    raw = data.get("modules")
    if not isinstance(raw, list) or not raw:
        problems.add("modules", "must be a non-empty array of tables", "add at least one `[[modules]]` table")
        return ()
    modules, seen_ids, seen_paths = [], set(), set()
    for index, entry in enumerate(raw):
        where = f"modules[{index}]"
        if not isinstance(entry, dict):
            problems.add(where, "must be a table", "use `[[modules]]`")
            continue
        module_id = _text(entry, "id", f"{where}.", problems, SLUG, "use lower-case letters, digits, -")
        if module_id in seen_ids:
            problems.add(f"{where}.id", f"repeats {module_id!r}", "give every module its own id")
        seen_ids.add(module_id)
        title = _text(entry, "title", f"{where}.", problems)
        raw_items = entry.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            problems.add(f"{where}.items", "must be a non-empty array", "list the module's notebooks")
            continue
        items = []
        for number, raw_item in enumerate(raw_items):
            item = _item(root, raw_item, f"{where}.items[{number}]", language, problems)
            if item is None:
                continue
            if item.relpath in seen_paths:
                problems.add(f"{where}.items[{number}].path", f"repeats {item.relpath}", "list a notebook once")
            seen_paths.add(item.relpath)
            items.append(item)
        modules.append(Module(module_id, title, tuple(items)))
    return tuple(modules)


def load_course(path: str | Path) -> Course:
    """Read and check a course directory (or its ``course.toml``)."""
    path = Path(path)
    root = path.parent if path.name == COURSE_FILE else path
    toml_path = root / COURSE_FILE
    if not toml_path.is_file():
        raise CourseError(f"{toml_path}: no such file; a course directory needs a {COURSE_FILE}")
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CourseError(f"{toml_path}: not valid TOML ({error}); fix the syntax") from error
    problems = _Problems(toml_path)
    course_id = _text(data, "id", "", problems, SLUG, 'use a slug such as "python-data-science"')
    title = _text(data, "title", "", problems)
    organisation = _text(data, "organisation", "", problems)
    version = _text(data, "version", "", problems, SEMVER, 'use semantic versioning such as "1.0.0"')
    language = _text(data, "language", "", problems, _LANGUAGE, 'use a language tag such as "en"')
    licence = _text(data, "licence", "", problems, SPDX, 'use an SPDX id such as "CC-BY-4.0"')
    description = _text(data, "description", "", problems)
    authors = _authors(data, problems)
    header = _notebook_path(root, data, "header", problems)
    footer = _notebook_path(root, data, "footer", problems)
    known = {"id", "title", "organisation", "version", "language", "licence", "description", "authors", "modules",
             "header", "footer", "grading"}
    for key in sorted(set(data) - known):
        problems.add(key, "is not a known field", f"remove it (known fields: {', '.join(sorted(known))})")
    modules = _modules(root, data, language or "en", problems)
    grading = assignment_types(data, problems)
    for module in modules:
        for item in module.items:
            if item.type is not None and item.type not in {t.type for t in grading}:
                problems.add(f"the item {item.relpath}: type", f"is {item.type!r}, which `[[grading]]` does not name",
                             f"use one of: {', '.join(t.type for t in grading)}")
    problems.raise_if_any()
    return Course(
        root.resolve(),
        course_id,
        title,
        organisation,
        version,
        language,
        licence,
        description,
        authors,
        modules,
        header,
        footer,
        grading,
    )


def _notebook_path(root: Path, data: dict[str, Any], key: str, problems: _Problems) -> Path | None:
    """An optional notebook named relative to the course root (as nbgrader's header and footer are)."""
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, str) or not value.endswith(".ipynb"):
        problems.add(key, f"must name a notebook, not {value!r}", f'write `{key} = "{key}.ipynb"`')
        return None
    path = (root / value).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        problems.add(key, f"names {value!r}, which is not a notebook in the course", "check the path")
        return None
    return path


def find_courses(path: str | Path) -> list[Course]:
    """Load one course directory, or every course directly under a directory of courses."""
    path = Path(path)
    if (path / COURSE_FILE).is_file() or path.name == COURSE_FILE:
        return [load_course(path)]
    found = sorted(child for child in path.iterdir() if (child / COURSE_FILE).is_file()) if path.is_dir() else []
    if not found:
        raise CourseError(f"{path}: no {COURSE_FILE} here or in its subdirectories; point at a course directory")
    return [load_course(child) for child in found]
