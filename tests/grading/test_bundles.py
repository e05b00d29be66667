"""Module bundles: made from a course, signed, verified, diffed, and every tampering refused by name."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from sabaq_contract import bundles
from sabaq_contract.bundle_diff import describe_changes
from sabaq_grading.bundle import SIGNATURE, make_bundle, read_bundle, select_modules
from sabaq_grading.course import load_course
from sabaq_grading.errors import BundleError, KeyFileError
from sabaq_grading.signing import load_private_key, load_public_key, new_key_pair, sign

ROOT = Path(__file__).parents[2]
SABAQ = str(Path(sys.executable).parent / "sabaq")
ASSIGNMENT = "source/sir-euler-step/sir-euler-step.ipynb"


def sabaq(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SABAQ, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture()
def course(tmp_path: Path) -> Path:
    copy = tmp_path / "epidemic-modelling"
    shutil.copytree(ROOT / "courses" / "epidemic-modelling", copy,
                    ignore=shutil.ignore_patterns("release", ".ipynb_checkpoints", "__pycache__"))
    return copy


@pytest.fixture()
def keys(tmp_path: Path) -> dict[str, Path]:
    private, public = new_key_pair(tmp_path / "keys", "uni-a")
    other_private, other_public = new_key_pair(tmp_path / "keys", "stranger")
    return {"key": private, "pub": public, "other_key": other_private, "other_pub": other_public}


def build(course: Path, key: Path, out: Path, *modules: str) -> Path:
    loaded = load_course(course)
    name, data = make_bundle(loaded, select_modules(loaded, list(modules) or None), load_private_key(key))
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(data)
    return out / name


def rewrite(source: Path, target: Path, change: Callable[[dict[str, bytes]], dict[str, bytes]]) -> Path:
    with zipfile.ZipFile(source) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in change(entries).items():
            archive.writestr(name, content)
    return target


def resign(entries: dict[str, bytes], key: Path, manifest: dict[str, object]) -> dict[str, bytes]:
    body = bundles.canonical(manifest)
    return {**entries, "manifest.json": body,
            SIGNATURE: json.dumps(sign(load_private_key(key), body)).encode()}


def test_a_signed_bundle_verifies_and_holds_the_course(course: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    path = build(course, keys["key"], tmp_path / "out")
    assert path.name == "epidemic-modelling-1.0.0.sabaq"
    verified = read_bundle(path, [load_public_key(keys["pub"])])
    manifest = verified.manifest
    assert verified.signer == load_public_key(keys["pub"]).id
    assert manifest["licence"] == "CC-BY-4.0" and manifest["version"] == "1.0.0"
    assert manifest["languages"] == ["en", "ur"] and manifest["nbgrader_metadata_version"] == 3
    assert [m["id"] for m in manifest["modules"]] == ["sir", "r0-herd-immunity", "vaccination"]
    assert manifest["authors"][0]["role"] == "author"
    assert manifest["grading"] == [{"type": "Assignment", "short_label": "A", "weight": 1.0, "drop": 0}]
    assert {item.get("type") for m in manifest["modules"] for item in m["items"] if item["kind"] == "assignment"} \
        == {"Assignment"}
    assert ASSIGNMENT in verified.files and "data/outbreak.csv" in verified.files and "LICENSE" in verified.files
    assert not [name for name in verified.files if name.startswith("instructor/")]  # marking guides stay home
    for name, content in verified.files.items():
        assert (course / name).read_bytes() == content
        assert manifest["files"][name]["sha256"] == hashlib.sha256(content).hexdigest()
    assert build(course, keys["key"], tmp_path / "again").read_bytes() == path.read_bytes()  # deterministic


def test_a_bundle_of_some_modules_holds_only_theirs(course: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    path = build(course, keys["key"], tmp_path / "out", "sir")
    verified = read_bundle(path, [load_public_key(keys["pub"])])
    assert verified.id == "epidemic-modelling.sir" and path.name == "epidemic-modelling.sir-1.0.0.sabaq"
    notebooks = sorted(name for name in verified.files if name.endswith(".ipynb"))
    assert notebooks == ["lessons/01-sir-model.ipynb", "lessons/01-sir-model.ur.ipynb", ASSIGNMENT]
    with pytest.raises(BundleError, match="no module 'nope'"):
        select_modules(load_course(course), ["nope"])


def _manifest(entries: dict[str, bytes]) -> dict[str, object]:
    return dict(json.loads(entries["manifest.json"]))


def _edit_notebook(entries: dict[str, bytes]) -> dict[str, bytes]:
    notebook = json.loads(entries["files/" + ASSIGNMENT])
    notebook["cells"][4]["source"] = "pass  # every test passes now"
    return {**entries, "files/" + ASSIGNMENT: json.dumps(notebook).encode()}


def _edit_manifest(entries: dict[str, bytes]) -> dict[str, bytes]:
    manifest = _manifest(entries)
    manifest["licence"] = "LicenseRef-Proprietary"
    return {**entries, "manifest.json": bundles.canonical(manifest)}


ATTACKS: dict[str, tuple[Callable[[dict[str, bytes]], dict[str, bytes]], str]] = {
    "a notebook changed": (_edit_notebook, f"files/{ASSIGNMENT} is not the file the publisher signed"),
    "the manifest changed": (_edit_manifest, "does not verify"),
    "a file added": (lambda e: {**e, "files/lessons/extra.ipynb": b"{}"},
                     "files/lessons/extra.ipynb is in the bundle but not in its manifest"),
    "a file removed": (lambda e: {k: v for k, v in e.items() if k != "files/data/outbreak.csv"},
                       "files/data/outbreak.csv is in the manifest but missing"),
    "a file outside files/": (lambda e: {**e, "setup.py": b"print(1)"}, "setup.py is not a file the manifest"),
    "no signature": (lambda e: {k: v for k, v in e.items() if k != SIGNATURE}, "no manifest.sig"),
    "a garbled signature": (lambda e: {**e, SIGNATURE: b"{not json"}, "not a signature record"),
    "another algorithm": (lambda e: {**e, SIGNATURE: json.dumps({**json.loads(e[SIGNATURE]), "algorithm": "rsa"})
                                     .encode()}, "uses 'rsa'"),
    "a manifest that is not JSON": (lambda e: {**e, "manifest.json": b"\xff\xfe"}, "manifest.json is not JSON"),
    "a path out of the bundle": (lambda e: {**e, "files/../../escape.txt": b"x"}, "is not a plain relative path"),
    "an absolute path": (lambda e: {**e, "/etc/cron.d/x": b"x"}, "is not a plain relative path"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_tampering_is_refused_naming_what_is_wrong(course: Path, keys: dict[str, Path], tmp_path: Path,
                                                   attack: str) -> None:
    change, message = ATTACKS[attack]
    good = build(course, keys["key"], tmp_path / "out")
    bad = rewrite(good, tmp_path / "bad.sabaq", change)
    with pytest.raises(BundleError, match=message.replace("(", r"\(").replace(".", r"\.")):
        read_bundle(bad, [load_public_key(keys["pub"])])
    result = sabaq("verify", str(bad), "--trust", str(keys["pub"]))
    assert result.returncode == 1 and result.stdout == ""
    assert message in result.stderr


def test_a_bundle_signed_by_someone_else_is_refused(course: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    good = build(course, keys["key"], tmp_path / "out")
    forged = rewrite(good, tmp_path / "forged.sabaq",
                     lambda e: resign(_edit_notebook(e), keys["other_key"],
                                      {**_manifest(e), "files": {**_manifest(e)["files"],  # type: ignore[dict-item]
                                                                 ASSIGNMENT: {"sha256": hashlib.sha256(
                                                                     _edit_notebook(e)["files/" + ASSIGNMENT]
                                                                 ).hexdigest(), "bytes": len(_edit_notebook(e)[
                                                                     "files/" + ASSIGNMENT])}}}))
    with pytest.raises(BundleError, match="not among the trusted keys"):
        read_bundle(forged, [load_public_key(keys["pub"])])
    assert read_bundle(forged, [load_public_key(keys["other_pub"])]).signer  # intact, just not ours to trust
    with pytest.raises(BundleError, match="no trusted key given"):
        read_bundle(good, [])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("format", "sabaq-bundle/9", "manifest field `format`"),
    ("version", "one", "manifest field `version`"),
    ("id", "../etc", "manifest field `id`"),
    ("licence", "", "manifest field `licence`"),
    ("licence", "not a licence!", "is not an SPDX licence"),
    ("requires_sabaq", ">=99.0.0", "needs Sabaq >=99.0.0"),
    ("requires_sabaq", "~=1", "is not `>=` a version"),
    ("modules", [{"id": "x", "items": [{"path": "lessons/ghost.ipynb"}]}], "names a notebook that `files` does not"),
])
def test_a_signed_but_unsound_manifest_is_refused_by_field(course: Path, keys: dict[str, Path], tmp_path: Path,
                                                           field: str, value: object, message: str) -> None:
    good = build(course, keys["key"], tmp_path / "out")
    bad = rewrite(good, tmp_path / "bad.sabaq", lambda e: resign(e, keys["key"], {**_manifest(e), field: value}))
    with pytest.raises(BundleError, match=message.replace("(", r"\(")):
        read_bundle(bad, [load_public_key(keys["pub"])])


def test_archive_tricks_are_refused(course: Path, keys: dict[str, Path], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    good = build(course, keys["key"], tmp_path / "out")
    trusted = [load_public_key(keys["pub"])]
    link = tmp_path / "link.sabaq"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(link, "w") as archive:
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        symlink = zipfile.ZipInfo("files/data/passwd")
        symlink.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(symlink, "/etc/passwd")
    with pytest.raises(BundleError, match="not a regular file"):
        read_bundle(link, trusted)
    twice = tmp_path / "twice.sabaq"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(twice, "w") as archive:
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("files/data/outbreak.csv", "day,cases\n")
    with pytest.raises(BundleError, match="appears twice"):
        read_bundle(twice, trusted)
    monkeypatch.setattr(bundles, "MAX_FILE_BYTES", 4096)  # a small limit stands in for a zip bomb
    with pytest.raises(BundleError, match="too large"):
        read_bundle(good, trusted)
    (tmp_path / "junk.sabaq").write_bytes(os.urandom(512))
    with pytest.raises(BundleError, match="not a bundle"):
        read_bundle(tmp_path / "junk.sabaq", trusted)


def test_the_commands_from_key_to_verified_bundle(course: Path, tmp_path: Path) -> None:
    made = sabaq("keys", "new", "uni-a", "--out", str(tmp_path / "keys"))
    assert made.returncode == 0, made.stderr
    private = tmp_path / "keys" / "uni-a.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    again = sabaq("keys", "new", "uni-a", "--out", str(tmp_path / "keys"))
    assert again.returncode == 3 and "never overwritten" in again.stderr
    written = sabaq("bundle", str(course), "--key", str(private), "--out", str(tmp_path / "out"))
    assert written.returncode == 0, written.stderr
    path = tmp_path / "out" / "epidemic-modelling-1.0.0.sabaq"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    verified = sabaq("verify", str(path), "--trust", str(tmp_path / "keys" / "uni-a.pub"))
    assert verified.returncode == 0, verified.stderr
    assert "epidemic-modelling 1.0.0" in verified.stdout and "CC-BY-4.0" in verified.stdout
    not_a_key = tmp_path / "keys" / "junk.pub"
    not_a_key.write_text("hello")
    refused = sabaq("verify", str(path), "--trust", str(not_a_key))
    assert refused.returncode == 3 and "not a PEM public key" in refused.stderr
    with pytest.raises(KeyFileError, match="Ed25519"):
        load_private_key(_rsa_key(tmp_path))


def _rsa_key(tmp_path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "rsa.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


def test_a_course_without_a_licence_is_not_bundled(course: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    toml = course / "course.toml"
    toml.write_text("\n".join(line for line in toml.read_text().splitlines() if not line.startswith("licence")))
    result = sabaq("bundle", str(course), "--key", str(keys["key"]), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and "licence" in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def _cell(notebook: dict[str, object], grade_id: str) -> dict[str, object]:
    cells = notebook["cells"]
    assert isinstance(cells, list)
    return next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def test_diff_says_what_changed_and_never_shows_hidden_tests(course: Path, keys: dict[str, Path],
                                                             tmp_path: Path) -> None:
    old = build(course, keys["key"], tmp_path / "old")
    path = course / ASSIGNMENT
    notebook = json.loads(path.read_text())
    test = _cell(notebook, "test-sir-derivatives")
    source = "".join(test["source"])  # type: ignore[call-overload]
    assert "### BEGIN HIDDEN TESTS" in source
    head, hidden = source.split("### BEGIN HIDDEN TESTS", 1)
    secret = "assert sir_derivatives(0.5, 0.5, 0.2, 0.1)[0] < 0  # SECRET-CHECK"
    test["source"] = head.replace("rates = ", "rates  = ") + "### BEGIN HIDDEN TESTS\n" + secret + "\n" + hidden
    _cell(notebook, "test-euler-step")["metadata"]["nbgrader"]["points"] = 4  # type: ignore[index]
    intro = notebook["cells"][0]
    intro["source"] = "".join(intro["source"]) + "\n\nA corrected sentence."
    path.write_text(json.dumps(notebook, indent=1))
    (course / "data" / "outbreak.csv").write_text((course / "data" / "outbreak.csv").read_text() + "\n")
    toml = course / "course.toml"
    toml.write_text(toml.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    new = build(course, keys["key"], tmp_path / "new")
    lines = describe_changes(read_bundle(old, None), read_bundle(new, None))
    text = "\n".join(lines)
    assert lines[0] == "epidemic-modelling 1.0.0 -> epidemic-modelling 1.1.0"
    assert f"changed: {ASSIGNMENT}" in text
    assert "hidden tests of `test-sir-derivatives` changed (not shown)" in text
    assert "SECRET-CHECK" not in text
    assert "test `test-sir-derivatives` changed:" in text and "rates  = " in text  # the visible part is shown
    assert "points of `test-euler-step`: 3 -> 4" in text and "total points: 15 -> 16" in text
    assert "lesson text `intro` changed:" in text and "A corrected sentence." in text
    assert "changed: data/outbreak.csv" in text
    result = sabaq("diff", str(old), str(new), "--trust", str(keys["pub"]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == lines
    same = describe_changes(read_bundle(old, None), read_bundle(old, None))
    assert same[1:] == ["no changes"]
    tampered = rewrite(new, tmp_path / "tampered.sabaq", _edit_notebook)
    refused = sabaq("diff", str(old), str(tampered))
    assert refused.returncode == 1 and "not the file the publisher signed" in refused.stderr


def test_a_bundle_is_one_deterministic_zip(course: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    path = build(course, keys["key"], tmp_path / "out")
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        names = archive.namelist()
        assert names[:2] == ["manifest.json", SIGNATURE]
        assert names[2:] == sorted(names[2:])
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("hidden", [
    "### BEGIN HIDDEN TESTS\nassert f(2) == 4  # SECRET\n### END HIDDEN TESTS",
    "# ---- BEGIN HIDDEN TESTS ----\nassert f(2) == 4  # SECRET\n# ---- END HIDDEN TESTS ----",
    "\u00a0### BEGIN HIDDEN TESTS\nassert f(2) == 4  # SECRET\npass  # END HIDDEN TESTS",
    "### begin hidden tests\nassert f(2) == 4  # SECRET\n### end hidden tests",  # nbgrader would show it too
])
def test_diff_never_shows_hidden_tests_however_they_are_marked(tmp_path: Path, hidden: str) -> None:
    """Every marker nbgrader recognises hides its lines; one it would not is not shown either."""
    from sabaq_grading.bundle import Bundle

    def bundle(source: object) -> Bundle:
        cell = {"cell_type": "code", "id": "t", "metadata": {"nbgrader": {"grade": True, "grade_id": "t",
                                                                          "points": 1, "solution": False}},
                "source": source, "outputs": [], "execution_count": None}
        content = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
        manifest = {"id": "m", "version": "1.0.0", "files": {"a.ipynb": {"sha256": hashlib.sha256(content)
                                                                           .hexdigest(), "bytes": len(content)}}}
        return Bundle(manifest, {"a.ipynb": content}, None)

    old = bundle("assert f(1) == 2")
    for source in (f"assert f(1) == 2\n{hidden}", ["assert f(1) == 2\n", *hidden.split("\n")]):
        text = "\n".join(describe_changes(old, bundle(source)))
        assert "SECRET" not in text and "f(2)" not in text, text
        assert "changed" in text


@pytest.mark.parametrize("trick", ["a stub before it", "data after it", "a ZIP comment", "an encrypted entry",
                                   "a huge directory", "a manifest not canonical", "a local header's date",
                                   "a byte of a member's data", "a gap between members"])
def test_bytes_nobody_signed_are_refused(course: Path, keys: dict[str, Path], tmp_path: Path, trick: str) -> None:
    """What is served is exactly what was made: no stub, no tail, no comment, no other encoding."""
    good = build(course, keys["key"], tmp_path / "out")
    data = good.read_bytes()
    if trick == "a stub before it":
        data = b"<html><body>download</body></html>\n" + data
    elif trick == "data after it":
        data += b"#!/bin/sh\necho more\n"
    elif trick == "a ZIP comment":
        data = data[:-2] + b"\x05\x00hello"
    elif trick == "an encrypted entry":
        at = data.index(b"PK\x01\x02")  # the first member's central directory record: set its flag
        data = data[:at + 8] + bytes([data[at + 8] | 1]) + data[at + 9:]
    elif trick == "a huge directory":
        data = data[:-12] + (50_000).to_bytes(2, "little") + data[-10:]
    elif trick in ("a local header's date", "a byte of a member's data", "a gap between members"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = archive.infolist()[3]
        at = member.header_offset + (12 if trick == "a local header's date" else 30 + len(member.filename) + 3)
        if trick == "a gap between members":
            data = data[:member.header_offset] + b"\0" * 16 + data[member.header_offset:]
        else:
            data = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
    else:
        def duplicate(entries: dict[str, bytes]) -> dict[str, bytes]:
            body = entries["manifest.json"].replace(b'{"authors"', b'{"licence":"MIT","authors"', 1)
            return {**entries, "manifest.json": body,
                    SIGNATURE: json.dumps(sign(load_private_key(keys["key"]), body)).encode()}
        data = rewrite(good, tmp_path / "dup.sabaq", duplicate).read_bytes()
    bad = tmp_path / "bad.sabaq"
    bad.write_bytes(data)
    with pytest.raises(BundleError):
        read_bundle(bad, [load_public_key(keys["pub"])])


def test_hidden_files_and_checkpoints_are_never_shared(course: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    (course / "source" / "sir-euler-step" / ".env").write_text("DATABASE_PASSWORD=secret")
    (course / "data" / ".ipynb_checkpoints").mkdir()
    (course / "data" / ".ipynb_checkpoints" / "outbreak-checkpoint.csv").write_text("day\n")
    (course / "data" / "__pycache__").mkdir()
    (course / "data" / "__pycache__" / "generate.cpython-311.pyc").write_bytes(b"\0")
    verified = read_bundle(build(course, keys["key"], tmp_path / "out"), [load_public_key(keys["pub"])])
    assert not [name for name in verified.files if "/." in f"/{name}" or "__pycache__" in name]
    assert "data/outbreak.csv" in verified.files
