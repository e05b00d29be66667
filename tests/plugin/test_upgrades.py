"""A unit made from a module bundle is offered a newer version: checked, shown, declined or
accepted, and accepting keeps every learner's work and every staff setting."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import helpers
import pytest
from conftest import Course
from helpers import send
from publishing import SQUARES, Publisher, correct_the_test

from sabaq_contract.keys import load_public_key
from sabaq_xblock import i18n


@pytest.fixture()
def publisher(tmp_path: Path) -> Publisher:
    return Publisher(tmp_path / "uni-a")


@pytest.fixture()
def partner(tmp_path: Path, publisher: Publisher) -> Course:
    """A partner's unit pinned to 0.1.0, with a learner's draft, widget state and submission."""
    course = Course(tmp_path / "partner", publisher.unit(publisher.bundle("0.1.0")))
    course.bucket["TRUSTED_KEYS"] = [str(publisher.pub)]
    staff = course.block("staff1", staff=True)
    assert send(staff, "studio_submit", json.dumps({"weight": "3", "display_name": "Squares, our way"}).encode())[0] \
        == 200
    learner = course.block("learner1")
    assert send(learner, "save_draft", json.dumps({"grade_id": "square", "source": "def square(x): ..."})
                .encode())[0] == 200
    answers = json.dumps({"answers": {"square": "def square(x):\n    return x * x"}}).encode()
    assert send(learner, "submit", answers)[0] == 200
    return course


def expect(answer: tuple[int, Any, Any], status: int, code: str, **params: Any) -> None:
    got, body, _ = answer
    assert got == status, body
    assert body["error"] == i18n.error_message(code, **params), body


def _graded(course: Course, learner: Any, submission_id: str) -> dict[str, Any]:
    """Wait for the real worker's grade, finished by the block's own reconciler (the callback goes
    to the session's workbench, not to this in-memory unit)."""
    import time

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        learner._grading.lifecycle.reconcile(None, grace=0.0)
        status: dict[str, Any] = send(learner, "status", json.dumps({"submission_id": submission_id}).encode())[1]
        if status["state"] in ("graded", "error"):
            assert status["state"] == "graded", status
            return status
        time.sleep(0.5)
    raise AssertionError(f"not graded in time: {status}")


def test_a_newer_version_is_offered_with_what_it_changes_then_declined(partner: Course,
                                                                        publisher: Publisher) -> None:
    staff = partner.block("staff1", staff=True)
    assert (staff.module_id, staff.module_version, staff.module_item) == ("fixture-course", "0.1.0", SQUARES)
    newer = publisher.bundle("0.2.0", correct_the_test)
    before = helpers.state(partner.kvs, partner.bucket["DATA_DIR"])
    code, body, _ = send(staff, "offer_upgrade", newer.read_bytes())
    assert code == 200, body
    assert body["offer"]["version"] == "0.2.0" and body["version"] == "0.1.0"
    assert any("test `test-square` changed" in line for line in body["offer"]["changes"])
    assert "notebook" not in body["offer"]  # Studio sees what changed, not the instructor notebook
    status = send(staff, "upgrade_status", b"{}")[1]
    assert status["offer"]["version"] == "0.2.0"
    expect(send(staff, "decline_upgrade", b"{}"), 409, "offer_changed", version="0.2.0")  # name what you saw
    named = json.dumps({k: body["offer"][k] for k in ("version", "checksum")}).encode()
    assert send(staff, "decline_upgrade", named)[1] == {"declined": "0.2.0", "version": "0.1.0"}
    after = partner.block("staff1", staff=True)
    assert after.notebook == staff.notebook and after.module_version == "0.1.0" and after.declined_versions == ["0.2.0"]
    _, tables = helpers.state(partner.kvs, partner.bucket["DATA_DIR"])
    assert tables == before[1]  # no submission touched
    expect(send(after, "offer_upgrade", newer.read_bytes()), 409, "declined_before", version="0.2.0")
    rebuilt = publisher.bundle("0.2.0+rebuild")  # the same version under other build metadata
    expect(send(after, "offer_upgrade", rebuilt.read_bytes()), 409, "declined_before", version="0.2.0+rebuild")
    from lxml import etree  # the declined versions travel with the course export

    node = etree.Element("root")
    after.add_xml_to_node(node)
    again = Course(partner.bucket["DATA_DIR"] + "-again", etree.tostring(node, encoding="unicode"))
    assert again.block("staff1", staff=True).declined_versions == ["0.2.0"]
    expect(send(after, "decline_upgrade", b"{}"), 409, "no_offer")
    expect(send(after, "accept_upgrade", b"{}"), 409, "no_offer")
    newest = publisher.bundle("0.3.0")  # a newer one is offered although 0.2.0 was declined
    assert send(after, "offer_upgrade", newest.read_bytes())[0] == 200


def test_offers_that_do_not_fit_are_refused_and_change_nothing(tmp_path: Path, partner: Course,
                                                                publisher: Publisher) -> None:
    staff = partner.block("staff1", staff=True)
    before = helpers.state(partner.kvs, partner.bucket["DATA_DIR"])
    expect(send(partner.block("learner1"), "offer_upgrade", b"x"), 403, "not_staff")
    expect(send(staff, "offer_upgrade", publisher.bundle("0.1.0").read_bytes()), 409, "not_newer",
           version="0.1.0", ours="0.1.0")
    stranger = Publisher(tmp_path / "stranger", "stranger")
    code, body, _ = send(staff, "offer_upgrade", stranger.bundle("0.9.0").read_bytes())
    assert code == 400 and body["error"] == i18n.error_message("bundle_invalid")
    assert "not among the trusted keys" in body["problems"][0]
    genuine = bytearray(publisher.bundle("0.5.0", correct_the_test).read_bytes())
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(bytes(genuine))) as archive:
        member = archive.infolist()[-1]
    genuine[member.header_offset + 30 + len(member.filename) + 2] ^= 0xFF  # one byte of a member, on the way
    code, body, _ = send(staff, "offer_upgrade", bytes(genuine))
    assert code == 400 and body["problems"]
    code, body, _ = send(staff, "offer_upgrade", b"PK\x03\x04 not a bundle at all")
    assert code == 400 and "not a bundle" in body["problems"][0]
    partner.bucket["TRUSTED_KEYS"] = []
    expect(send(staff, "offer_upgrade", publisher.bundle("0.6.0").read_bytes()), 409, "no_trusted_keys")
    assert helpers.state(partner.kvs, partner.bucket["DATA_DIR"]) == before


def test_a_unit_not_made_from_a_bundle_has_no_upgrades(course: Course, publisher: Publisher) -> None:
    course.bucket["TRUSTED_KEYS"] = [str(publisher.pub)]
    expect(send(course.block("staff1", staff=True), "offer_upgrade", publisher.bundle("0.2.0").read_bytes()), 409,
           "not_from_bundle")


def test_another_module_is_refused(tmp_path: Path, partner: Course, publisher: Publisher) -> None:
    other = Publisher(tmp_path / "other")
    toml = other.course / "course.toml"
    toml.write_text(toml.read_text().replace('id = "fixture-course"', 'id = "other-course"'))
    partner.bucket["TRUSTED_KEYS"] = [str(publisher.pub), str(other.pub)]
    expect(send(partner.block("staff1", staff=True), "offer_upgrade", other.bundle("0.2.0").read_bytes()), 409,
           "other_module", module="other-course", ours="fixture-course")


@pytest.mark.services
def test_accepting_keeps_every_learners_work_and_staffs_settings(live: dict[str, Any], tmp_path: Path) -> None:
    """End to end, with the session's real grading worker checking the new notebook."""
    publisher = Publisher(tmp_path / "uni-a")
    partner = Course(Path(live["root"]) / "sabaq", publisher.unit(publisher.bundle("0.1.0")))
    partner.bucket["TRUSTED_KEYS"] = [str(publisher.pub)]
    staff = partner.block("staff1", staff=True)
    local = {"weight": "3", "max_attempts": "5", "display_name": "Squares, our way", "feedback_policy": "tests"}
    assert send(staff, "studio_submit", json.dumps(local).encode())[0] == 200
    learner = partner.block("learner1")
    assert send(learner, "save_draft", json.dumps({"grade_id": "square", "source": "draft"}).encode())[0] == 200
    code, submitted, _ = send(learner, "submit", json.dumps(
        {"answers": {"square": "def square(x):\n    return x * x"}}).encode())
    assert code == 200, submitted
    graded = _graded(partner, learner, submitted["submission_id"])
    first_checksum = staff.module_checksum
    newer = publisher.bundle("0.2.0", correct_the_test)
    assert send(staff, "offer_upgrade", newer.read_bytes())[0] == 200
    offered = send(partner.block("staff1", staff=True), "upgrade_status", b"{}")[1]["offer"]
    named = json.dumps({k: offered[k] for k in ("version", "checksum")}).encode()
    code, body, _ = send(partner.block("staff1", staff=True), "accept_upgrade", named)
    assert code == 200, body
    assert body == {"accepted": "0.2.0", "version": "0.2.0"}
    after = partner.block("staff1", staff=True)
    assert "square(-2)" in after.notebook and "square(-2)" in after.student_notebook
    assert "BEGIN HIDDEN TESTS" not in after.student_notebook
    assert (after.weight, after.max_attempts, after.display_name, after.feedback_policy) == (
        3.0, 5, "Squares, our way", "tests")  # staff's own settings stay
    assert after.module_version == "0.2.0" and after.module_checksum != first_checksum
    assert [h["version"] for h in after.module_history] == ["0.1.0", "0.2.0"]
    assert after.module_history[0]["checksum"] == first_checksum
    again = partner.block("learner1")
    assert dict(again.drafts) == {"square": "draft"}  # the learner's work stays
    code, status, _ = send(again, "status", json.dumps({"submission_id": submitted["submission_id"]}).encode())
    assert code == 200 and (status["state"], status["score"]) == ("graded", graded["score"])  # the score stays
    # each submission keeps the version it was graded against; a regrade uses the new one
    report = send(partner.block("staff1", staff=True), "learner_report", b'{"learner_id": "learner1"}')[1]
    assert [(s["submission_id"], s["version"]) for s in report["submissions"]] == [
        (submitted["submission_id"], "0.1.0")]
    code, regraded, _ = send(partner.block("staff1", staff=True), "regrade",
                             json.dumps({"submission_id": submitted["submission_id"]}).encode())
    assert code == 200, regraded
    report = send(partner.block("staff1", staff=True), "learner_report", b'{"learner_id": "learner1"}')[1]
    versions = {s["submission_id"]: s["version"] for s in report["submissions"]}
    assert versions == {submitted["submission_id"]: "0.1.0", regraded["submission_id"]: "0.2.0"}
    summary = send(partner.block("staff1", staff=True), "learner_report", b"{}")[1]
    assert summary["learners"][0]["latest"]["version"] == "0.2.0"


@pytest.fixture()
def catalog(served_folder: tuple[Path, str]) -> tuple[Path, str]:
    return served_folder


def test_the_sites_catalogs_offer_newer_versions(partner: Course, publisher: Publisher, catalog: Any) -> None:
    folder, url = catalog
    from subprocess import run

    newer = publisher.bundle("0.2.0", correct_the_test)
    published = run([str(Path(sys.executable).parent / "sabaq"), "publish", str(newer), "--catalog", str(folder),
                     "--trust", str(publisher.pub)], capture_output=True, text=True, timeout=120)
    assert published.returncode == 0, published.stderr
    staff = partner.block("staff1", staff=True)
    assert send(staff, "upgrade_status", b"{}")[1]["available"] == []  # no catalog configured: none read
    partner.bucket["CATALOGS"] = [url, "http://127.0.0.1:9/"]  # the second is down: left out
    status = send(partner.block("staff1", staff=True), "upgrade_status", b"{}")[1]
    assert status["available"] == [{"catalog": url, "version": "0.2.0"}] and status["offer"] is None
    expect(send(partner.block("staff1", staff=True), "offer_from_catalog",
                json.dumps({"catalog": "http://127.0.0.1:1/elsewhere/", "version": "0.2.0"}).encode()),
           409, "unknown_catalog")
    code, body, _ = send(partner.block("staff1", staff=True), "offer_from_catalog",
                         json.dumps({"catalog": url, "version": "0.2.0"}).encode())
    assert code == 200, body
    assert body["offer"]["version"] == "0.2.0"
    assert any("test `test-square` changed" in line for line in body["offer"]["changes"])
    named = json.dumps({k: body["offer"][k] for k in ("version", "checksum")}).encode()
    assert send(partner.block("staff1", staff=True), "decline_upgrade", named)[0] == 200
    assert send(partner.block("staff1", staff=True), "upgrade_status", b"{}")[1]["available"] == []  # declined
    expect(send(partner.block("staff1", staff=True), "offer_from_catalog", b'{"catalog": 1}'), 400,
           "bad_offer_request")


def test_only_the_modules_own_publisher_and_a_still_trusted_one_can_upgrade_it(
        tmp_path: Path, partner: Course, publisher: Publisher) -> None:
    """Module ids have no owner: the unit keeps the key that signed it. And an offer made
    before its publisher's key was withdrawn cannot be accepted after."""
    impostor = Publisher(tmp_path / "impostor", "impostor")  # also trusted here, same module id
    partner.bucket["TRUSTED_KEYS"] = [str(publisher.pub), str(impostor.pub)]
    staff = partner.block("staff1", staff=True)
    assert staff.module_signer == load_public_key(publisher.pub).id
    code, body, _ = send(staff, "offer_upgrade", impostor.bundle("9.9.9").read_bytes())
    assert code == 409 and body["error"] == i18n.error_message(
        "other_signer", signer=load_public_key(impostor.pub).id, ours=staff.module_signer)
    code, body, _ = send(staff, "offer_upgrade", publisher.bundle("0.2.0", correct_the_test).read_bytes())
    assert code == 200, body
    named = json.dumps({k: body["offer"][k] for k in ("version", "checksum")}).encode()
    partner.bucket["TRUSTED_KEYS"] = [str(impostor.pub)]  # the operator withdraws the publisher's key
    expect(send(partner.block("staff1", staff=True), "accept_upgrade", named), 409, "signer_untrusted",
           signer=load_public_key(publisher.pub).id)
    assert partner.block("staff1", staff=True).upgrade_offer == {}  # the offer is withdrawn
    assert partner.block("staff1", staff=True).module_version == "0.1.0"


def test_a_unit_edited_in_studio_is_no_longer_its_modules_version(partner: Course) -> None:
    from sabaq_xblock.upgrades import detach, version_of

    block = partner.block("staff1", staff=True)
    original = block.notebook
    block.module_history = [{"version": "0.1.0", "checksum": block.module_checksum,
                             "notebook": __import__("hashlib").sha256(original.encode()).hexdigest()}]
    detach(block)
    assert (block.module_id, block.module_version, block.module_signer) == ("", "", "")
    assert block.licence and block.authors  # attribution stays
    assert version_of(block, original) == "0.1.0"  # past submissions keep their version
