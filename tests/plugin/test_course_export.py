"""``sabaq build``: the Open edX export of each sample course passes olxcleaner, and every unit
loads into the XBlock runtime and exports again to the same OLX."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import Course
from lxml import etree

from sabaq_grading.course import load_course
from sabaq_grading.course_export import export_files, open_edx_licence, write_export

ROOT = Path(__file__).parents[2]
COURSES = sorted(p.parent for p in (ROOT / "courses").glob("*/course.toml"))
SABAQ = str(Path(sys.executable).parent / "sabaq")


@pytest.fixture(scope="module", params=[p.name for p in COURSES])
def export(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the course directory, the export unpacked), made by the command as an author runs it."""
    course_dir = ROOT / "courses" / request.param
    out = tmp_path_factory.mktemp(f"export-{request.param}")
    archive = out / f"{request.param}.tar.gz"
    result = subprocess.run([SABAQ, "build", str(course_dir), "--out", str(archive)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        assert all((m.name == "course" or m.name.startswith("course/")) and ".." not in m.name
                   and (m.isfile() or m.isdir()) for m in members)
        tar.extractall(out, members=members)  # every member checked above: plain files under course/
    return course_dir, out / "course"


def test_olxcleaner_finds_nothing_wrong(export: tuple[Path, Path]) -> None:
    from olxcleaner import validate

    _, folder = export
    # olxcleaner knows the built-in blocks only; sabaq_notebook is admitted by name, as Studio
    # admits it through the course's advanced modules (policy.json)
    course, errors, _ = validate(str(folder), allowed_xblocks=["sabaq_notebook"])
    assert course is not None
    assert [f"{type(e).__name__}: {e.description}" for e in errors.errors] == []
    policy = json.loads((folder / "policies" / "course" / "policy.json").read_text())
    assert policy["course/course"]["advanced_modules"] == ["sabaq_notebook"]


def test_the_structure_follows_course_toml(export: tuple[Path, Path]) -> None:
    course_dir, folder = export
    course = load_course(course_dir)
    tree = etree.parse(str(folder / "course" / "course.xml"))
    assert [c.get("url_name") for c in tree.getroot()] == [m.id for m in course.modules]
    units = sorted(p.stem for p in (folder / "sabaq_notebook").glob("*.xml"))
    assert len(units) == len(course.items)
    grading = json.loads((folder / "policies" / "course" / "grading_policy.json").read_text())
    assert grading["GRADER"][0]["min_count"] == len(course.assignments)
    graded = [etree.parse(str(p)).getroot() for p in (folder / "sequential").glob("*.xml")]
    assert sum(s.get("graded") == "true" for s in graded) == len(course.assignments)
    about = (folder / "about" / "overview.html").read_text()
    assert course.title in about and course.licence in about and course.authors[0].name in about
    assert (folder / "static" / "course_image.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_unit_loads_in_the_runtime_and_exports_the_same(export: tuple[Path, Path], tmp_path: Path) -> None:
    course_dir, folder = export
    course = load_course(course_dir)
    by_path = {item.path.name: item for item in course.items}
    for path in sorted((folder / "sabaq_notebook").glob("*.xml")):
        olx = path.read_text("utf-8").strip()
        loaded = Course(tmp_path / path.stem, olx)
        block = loaded.block("author", staff=True)
        node = etree.Element("root")
        block.add_xml_to_node(node)
        assert etree.tostring(node, encoding="unicode") == olx, path.name  # export -> import -> export
        instructor = json.loads(block.notebook)
        student = json.loads(block.student_notebook)
        assert instructor["cells"] and student["cells"]
        shown = json.dumps(student)
        assert "BEGIN SOLUTION" not in shown and "BEGIN HIDDEN TESTS" not in shown
        item = next((i for i in by_path.values() if i.title == block.display_name), None)
        assert item is not None, block.display_name
        assert (block.weight > 0) == (item.kind == "assignment")
        if item.kind == "assignment":
            assert set(block.data_files) == {p.name for p in item.path.parent.iterdir()
                                             if p.is_file() and p.suffix != ".ipynb"}
        page = block.render("student_view").body_html()
        assert "sabaq" in page


def test_the_same_course_gives_the_same_bytes(tmp_path: Path) -> None:
    course = load_course(COURSES[0])
    write_export(course, tmp_path / "one.tar.gz")
    write_export(course, tmp_path / "two.tar.gz")
    assert (tmp_path / "one.tar.gz").read_bytes() == (tmp_path / "two.tar.gz").read_bytes()
    assert export_files(course) == export_files(course)


@pytest.mark.parametrize(("spdx", "expected"), [
    ("CC-BY-4.0", "creative-commons: ver=4.0 BY"),
    ("CC-BY-SA-4.0", "creative-commons: ver=4.0 BY SA"),
    ("CC-BY-NC-ND-4.0", "creative-commons: ver=4.0 BY NC ND"),
    ("MIT", ""),
])
def test_creative_commons_licences_are_open_edx_ones(spdx: str, expected: str) -> None:
    assert open_edx_licence(spdx) == expected


def test_every_unit_shows_its_licence_and_authors(export: tuple[Path, Path], tmp_path: Path) -> None:
    course_dir, folder = export
    course = load_course(course_dir)
    for path in sorted((folder / "sabaq_notebook").glob("*.xml"))[:2]:
        block = Course(tmp_path / path.stem, path.read_text("utf-8").strip()).block()
        assert block.licence == course.licence and block.authors[0]["name"] == course.authors[0].name
        page = block.render("student_view").body_html()
        footer = page[page.index('<footer class="sabaq-attribution">'):]
        assert f"Licence: {course.licence}" in footer and course.authors[0].name in footer
        assert "shared module" not in footer  # made from the course itself, not from a bundle


def test_a_partner_course_built_from_a_bundle_records_where_each_unit_came_from(tmp_path: Path) -> None:
    from sabaq_grading.bundle import read_bundle
    from sabaq_grading.signing import load_public_key, new_key_pair

    private, public = new_key_pair(tmp_path / "keys", "uni-a")
    made = subprocess.run([SABAQ, "bundle", str(COURSES[0]), "--modules", "sir", "--key", str(private),
                           "--out", str(tmp_path / "dist")], capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    (bundle_path,) = (tmp_path / "dist").glob("*.sabaq")
    bundle = read_bundle(bundle_path, [load_public_key(public)])
    refused = subprocess.run([SABAQ, "build", str(bundle_path), "--out", str(tmp_path / "x.tar.gz")],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--trust" in refused.stderr
    archive = tmp_path / "partner.tar.gz"
    built = subprocess.run([SABAQ, "build", str(bundle_path), "--trust", str(public), "--out", str(archive)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        assert all(m.name.startswith("course") and ".." not in m.name and (m.isfile() or m.isdir())
                   for m in members)
        tar.extractall(tmp_path / "partner", members=members)
    folder = tmp_path / "partner" / "course"
    from olxcleaner import validate

    _, errors, _ = validate(str(folder), allowed_xblocks=["sabaq_notebook"])
    assert [e.description for e in errors.errors] == []
    units = sorted((folder / "sabaq_notebook").glob("*.xml"))
    assert len(units) == sum(len(m["items"]) for m in bundle.manifest["modules"]) == 3
    checksums = {entry["sha256"] for entry in bundle.manifest["files"].values()}
    for path in units:
        olx = path.read_text("utf-8").strip()
        loaded = Course(tmp_path / path.stem, olx)
        block = loaded.block("author", staff=True)
        assert (block.module_id, block.module_version) == ("epidemic-modelling.sir", "1.0.0")
        assert block.module_checksum in checksums
        node = etree.Element("root")
        block.add_xml_to_node(node)
        assert etree.tostring(node, encoding="unicode") == olx
        studio = block.render("studio_view").body_html()
        assert block.module_checksum in studio and "epidemic-modelling.sir" in studio and "1.0.0" in studio
        learner = loaded.block("learner1").render("student_view").body_html()
        assert "From the shared module epidemic-modelling.sir, version 1.0.0" in learner
        assert block.module_checksum not in learner  # the checksum is for staff
    tampered = tmp_path / "tampered.sabaq"
    import zipfile

    with zipfile.ZipFile(bundle_path) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data.replace(b"sir_derivatives", b"sir_derivative_") if info.filename.endswith(
                ".ipynb") else data)
    rejected = subprocess.run([SABAQ, "build", str(tampered), "--trust", str(public), "--out",
                               str(tmp_path / "bad.tar.gz")], capture_output=True, text=True, timeout=120)
    assert rejected.returncode == 1 and "not the file the publisher signed" in rejected.stderr
    assert not (tmp_path / "bad.tar.gz").exists()


def test_the_attribution_is_translated_into_urdu(tmp_path: Path) -> None:
    from sabaq_xblock import provenance

    olx = (sorted((Path(__file__).parents[2] / "courses").glob("*/course.toml")))
    assert olx
    block = type("Unit", (), {"licence": "CC-BY-4.0", "authors": [{"name": "Team", "role": "author"}],
                              "module_id": "m", "module_version": "1.0.0", "module_checksum": "ab" * 32})()
    urdu = provenance.attribution_html(block, "ur", staff_details=True)
    assert "لائسنس: CC-BY-4.0" in urdu and "مصنفین: Team (author)" in urdu and "ab" * 32 in urdu
    assert provenance.attribution_html(type("Bare", (), {"licence": "", "authors": [], "module_id": "",
                                                         "module_version": "", "module_checksum": ""})(), "en") == ""


def test_the_grading_policy_follows_course_toml(tmp_path: Path) -> None:
    import shutil

    course_dir = tmp_path / "course"
    shutil.copytree(COURSES[0], course_dir)
    toml = course_dir / "course.toml"
    text = toml.read_text()
    course = load_course(course_dir)
    first, second = (item.relpath for item in course.assignments[:2])
    text = text.replace(f'path = "{second}"', f'path = "{second}", type = "Exam"')
    text += ('\n[[grading]]\ntype = "Homework"\nshort_label = "HW"\nweight = 0.4\ndrop = 1\n\n'
             '[[grading]]\ntype = "Exam"\nweight = 0.6\n')
    toml.write_text(text)
    files = export_files(load_course(course_dir))
    policy = json.loads(files["policies/course/grading_policy.json"])
    assert policy["GRADER"] == [
        {"type": "Homework", "short_label": "HW", "min_count": len(course.assignments) - 1, "drop_count": 1,
         "weight": 0.4},
        {"type": "Exam", "short_label": "Exa", "min_count": 1, "drop_count": 0, "weight": 0.6}]
    formats = {etree.fromstring(content).get("format") for name, content in files.items()
               if name.startswith("sequential/")}
    assert formats == {"Homework", "Exam", None}  # lessons are not graded
    assert first


@pytest.mark.parametrize(("grading", "item_type", "message"), [
    ('[[grading]]\ntype = "A"\nweight = 0.7\n\n[[grading]]\ntype = "B"\nweight = 0.7\n', None, "add up to 1.4"),
    ('[[grading]]\ntype = "A"\nweight = 0\n', None, "grading[0].weight` is 0"),
    ('[[grading]]\ntype = "A"\nweight = 0.5\n\n[[grading]]\ntype = "A"\nweight = 0.5\n', None, "repeats 'A'"),
    ('[[grading]]\ntype = "A"\nweight = 1\n', "Exam", "which `[[grading]]` does not name"),
    ('[[grading]]\ntype = "A"\nweight = 1\ndrop = -1\n', None, "grading[0].drop` is -1"),
])
def test_a_wrong_grading_policy_is_named(tmp_path: Path, grading: str, item_type: str | None, message: str) -> None:
    import shutil

    from sabaq_grading.errors import CourseError

    course_dir = tmp_path / "course"
    shutil.copytree(COURSES[0], course_dir)
    toml = course_dir / "course.toml"
    text = toml.read_text() + "\n" + grading
    if item_type:
        first = load_course(COURSES[0]).assignments[0].relpath
        text = text.replace(f'path = "{first}"', f'path = "{first}", type = "{item_type}"')
    toml.write_text(text)
    with pytest.raises(CourseError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        load_course(course_dir)
