"""``sabaq build``: an Open edX course export (OLX) made from ``course.toml``.

One chapter per module, one sequential and vertical per notebook, and in each a
``sabaq_notebook`` unit carrying its instructor notebook, the page's student notebook and,
for an assignment, its data files (the block's own OLX format: ``sabaq_xblock.olx``). The
course policy names ``sabaq_notebook`` among its advanced modules, assignments are graded
sequentials of the type ``Assignment`` (one type, weight 1, in ``grading_policy.json``),
the about page is the course's Markdown description, the course image is drawn from its
title's initials, and the licence is Open edX's where it has one (Creative Commons) and is
written on the about page in any case.

Everything is written in a fixed order with fixed timestamps: the same course gives the same
``.tar.gz``, byte for byte.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import struct
import tarfile
import zlib
from pathlib import Path
from typing import Any

import nbformat

from .course import Course, Item
from .course_grading import DEFAULT, AssignmentType
from .engine import data_files
from .errors import CourseError

RUN = "course"
_CC = re.compile(r"^CC-(BY(?:-NC)?(?:-ND|-SA)?)-(\d\.\d)$")


def open_edx_licence(spdx: str) -> str:
    """Open edX's ``license`` value for an SPDX id: Creative Commons ones map, others are unset."""
    match = _CC.match(spdx)
    if not match:
        return ""
    return f"creative-commons: ver={match.group(2)} {' '.join(match.group(1).split('-'))}"


def _attribute(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "&#10;"))


def unit_url_name(module: str, index: int) -> str:
    """The ``url_name`` of a module's ``index``-th unit (its file is ``sabaq_notebook/<name>.xml``)."""
    return f"{module}-{index:02d}"  # the unit's; its sequential and vertical add a prefix (one namespace)


def unit_olx(course: Course, item: Item, display_name: str, origin: dict[str, str] | None = None) -> str:
    """The ``sabaq_notebook`` element of one notebook, in the block's own OLX format.

    Every unit carries the course's licence and authors; ``origin`` adds the bundle it was
    made from (``module_id``, ``module_version``, ``module_checksum``).
    """
    try:
        from lxml import etree

        from sabaq_xblock import olx
        from sabaq_xblock.provenance import ProvenanceMixin
    except ImportError as error:
        raise CourseError("`sabaq build` writes the block's own OLX and needs its package "
                          f"(pip install sabaq-xblock) in this environment ({error})") from None
    import base64

    from .release import with_header_footer
    from .worker.prepare import page_notebook

    instructor: dict[str, Any] = json.loads(item.path.read_text("utf-8"))
    if item.kind == "assignment" and (course.header or course.footer):
        framed = with_header_footer(nbformat.from_dict(instructor), course.header, course.footer)
        instructor = json.loads(json.dumps(framed))
    instructor.setdefault("metadata", {}).setdefault("lang", item.language)  # the page's language and direction
    files = ({name: base64.b64encode(data).decode("ascii") for name, data in data_files(item.path.parent).items()}
             if item.kind == "assignment" else {})
    node = etree.Element("sabaq_notebook")
    attributes = {"display_name": display_name, "weight": "1.0" if item.kind == "assignment" else "0.0",
                  "licence": course.licence,
                  "authors": ProvenanceMixin.authors.to_string([{"name": a.name, "role": a.role}
                                                                for a in course.authors]),  # as the block writes it
                  **(origin or {})}
    def text(notebook: dict[str, Any]) -> str:
        return json.dumps(notebook, ensure_ascii=False, sort_keys=True)

    olx.write(node, attributes, {"notebook": text(instructor), "student_notebook": text(page_notebook(instructor))},
              files)
    return str(etree.tostring(node, encoding="unicode"))


def course_image(title: str) -> bytes:
    """A 600 x 338 PNG: a band in a colour of the title's own, for the course card."""
    digest = hashlib.sha256(title.encode("utf-8")).digest()
    red, green, blue = (64 + digest[0] % 128, 64 + digest[1] % 128, 64 + digest[2] % 128)
    width, height = 600, 338
    rows = []
    for y in range(height):
        shade = 1.0 - 0.35 * y / height
        pixel = bytes((int(red * shade), int(green * shade), int(blue * shade)))
        rows.append(b"\0" + pixel * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def export_files(course: Course, origin: Any = None) -> dict[str, bytes]:
    """Every file of the export, by its path inside the ``course/`` folder.

    ``origin``, a verified bundle the course was unpacked from, is recorded on every unit.
    """
    import markdown

    org = re.sub(r"[^A-Za-z0-9]+", "", course.organisation) or "Sabaq"
    licence = open_edx_licence(course.licence)
    files: dict[str, str | bytes] = {
        "course.xml": f'<course url_name="{RUN}" org="{_attribute(org)}" course="{_attribute(course.id)}"/>\n'}
    chapters = []
    counts = {t.type: 0 for t in course.grading}
    for module in course.modules:
        sequentials = []
        for index, item in enumerate(module.items, start=1):
            name = unit_url_name(module.id, index)
            title = item.title or item.path.stem
            graded = item.kind == "assignment"
            if graded:
                counts[course.assignment_type(item).type] += 1
            grading = f' graded="true" format="{_attribute(course.assignment_type(item).type)}"' if graded else ""
            files[f"sequential/seq-{name}.xml"] = (f'<sequential display_name="{_attribute(title)}"{grading}>\n'
                                                   f'  <vertical url_name="unit-{name}"/>\n</sequential>\n')
            files[f"vertical/unit-{name}.xml"] = (f'<vertical display_name="{_attribute(title)}">\n'
                                                  f'  <sabaq_notebook url_name="{name}"/>\n</vertical>\n')
            files[f"sabaq_notebook/{name}.xml"] = unit_olx(course, item, title, _origin(origin, course, item)) + "\n"
            sequentials.append(f'  <sequential url_name="seq-{name}"/>\n')
        files[f"chapter/{module.id}.xml"] = (f'<chapter display_name="{_attribute(module.title)}">\n'
                                             f'{"".join(sequentials)}</chapter>\n')
        chapters.append(f'  <chapter url_name="{module.id}"/>\n')
    files[f"course/{RUN}.xml"] = f'<course>\n{"".join(chapters)}</course>\n'  # its settings: policy.json
    policy: dict[str, Any] = {  # dates are the importing partner's to set; these only open the course
        "display_name": course.title, "language": course.language, "course_image": "course_image.png",
        "advanced_modules": ["sabaq_notebook"], "start": "2020-01-01T00:00:00Z", "end": "2099-12-31T00:00:00Z"}
    if licence:
        policy["license"] = licence
    files[f"policies/{RUN}/policy.json"] = json.dumps({f"course/{RUN}": policy}, indent=2, sort_keys=True) + "\n"
    grader = [{"type": t.type, "short_label": t.short_label, "min_count": counts[t.type], "drop_count": t.drop,
               "weight": t.weight} for t in course.grading if counts[t.type]]
    files[f"policies/{RUN}/grading_policy.json"] = json.dumps(
        {"GRADER": grader, "GRADE_CUTOFFS": {"Pass": 0.5}}, indent=2, sort_keys=True) + "\n"
    authors = ", ".join(f"{a.name} ({a.role})" for a in course.authors)
    overview = markdown.markdown(course.description, extensions=["extra"])
    files["about/overview.html"] = (f"<section class=\"about\">\n<h2>{_attribute(course.title)}</h2>\n{overview}\n"
                                    f"<p>Licence: {_attribute(course.licence)}. Authors: {_attribute(authors)}.</p>\n"
                                    f"</section>\n")
    first = course.description.strip().split("\n\n")[0].replace("\n", " ")
    files["about/short_description.html"] = _attribute(first) + "\n"
    files["static/course_image.png"] = course_image(course.title)
    return {name: value.encode("utf-8") if isinstance(value, str) else value for name, value in sorted(files.items())}


def _origin(bundle: Any, course: Course, item: Item) -> dict[str, str] | None:
    if bundle is None:
        return None
    relative = item.path.resolve().relative_to(course.root.resolve()).as_posix()
    return {"module_id": bundle.id, "module_item": relative, "module_version": bundle.version,
            "module_checksum": str(bundle.manifest["files"][relative]["sha256"]), "module_signer": str(bundle.signer)}


def course_from_bundle(bundle: Any, folder: Path) -> Course:
    """The course a verified bundle holds, unpacked into ``folder`` (its files, by their manifest paths)."""
    from .course import Author, Module

    manifest = bundle.manifest
    for relative, content in bundle.files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    modules = tuple(Module(str(m["id"]), str(m["title"]), tuple(
        Item("assignment" if i["kind"] == "assignment" else "lesson", folder / str(i["path"]), str(i["path"]),
             str(i["language"]), None if i.get("title") is None else str(i["title"]),
             None if i.get("type") is None else str(i["type"])) for i in m["items"]))
        for m in manifest["modules"])
    course = manifest.get("course") or {}
    frame = {key: folder / str(manifest[key]) if manifest.get(key) else None for key in ("header", "footer")}
    grading = tuple(AssignmentType(str(t["type"]), str(t["short_label"]), float(t["weight"]), int(t["drop"]))
                    for t in manifest.get("grading") or []) or DEFAULT
    return Course(folder, bundle.id, str(manifest["title"]), str(course.get("organisation") or "Sabaq"),
                  bundle.version, str(course.get("language") or manifest["languages"][0]), str(manifest["licence"]),
                  str(manifest.get("description") or ""),
                  tuple(Author(str(a.get("name", "")), str(a.get("role", ""))) for a in manifest["authors"]
                        if isinstance(a, dict)), modules, frame["header"], frame["footer"], grading)


def write_export(course: Course, out: Path, origin: Any = None) -> int:
    """Write the export as ``out`` (a ``.tar.gz`` holding ``course/...``); returns the number of files."""
    files = export_files(course, origin)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive:
        folders = {str(parent) for n in files for parent in Path("course", n).parents if str(parent) != "."}
        for name in sorted(folders):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            archive.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(f"course/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())
    return len(files)
