"""The contract between block and grader: one definition of each thing both sides use."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sabaq_contract import broker, callbacks, report, signing, states, tasks
from sabaq_contract import settings as deployment
from sabaq_contract.errors import (
    CallbackInvalid,
    ReportInvalid,
    SettingsInvalid,
    SignatureInvalid,
    SignatureStale,
    TransitionRefused,
)
from sabaq_contract.states import State

ROOT = Path(__file__).resolve().parents[2]


def test_the_contract_needs_only_the_standard_library() -> None:
    code = ("import sys, sabaq_contract.broker, sabaq_contract.callbacks, sabaq_contract.report, "
            "sabaq_contract.settings, sabaq_contract.signing, sabaq_contract.states, sabaq_contract.tasks, "
            "sabaq_contract.bundles, sabaq_contract.bundle_diff, sabaq_contract.keys, "
            "sabaq_contract.identifiers, sabaq_contract.catalogs; "
            "print(sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)"
            " - {'__main__', 'sitecustomize', 'usercustomize', '_distutils_hack'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['sabaq_contract']"
    meta = (ROOT / "contract" / "pyproject.toml").read_text("utf-8")
    assert "dependencies = []" in meta


def test_both_sides_import_it_and_keep_no_copy() -> None:
    for part in ("plugin", "grading"):
        assert '"sabaq-contract"' in (ROOT / part / "pyproject.toml").read_text("utf-8")
    assert not (ROOT / "plugin/src/sabaq_xblock/signature.py").exists()
    assert not (ROOT / "plugin/src/sabaq_xblock/config.py").exists()
    assert not (ROOT / "grading/src/sabaq_grading/schemas").exists()
    sources = [*ROOT.glob("plugin/src/**/*.py"), *ROOT.glob("grading/src/sabaq_grading/worker/*.py")]
    for path in sources:
        text = path.read_text("utf-8")
        reads = [f'environ.get("SABAQ_{name}' for name in ("DATA_DIR", "BROKER_URL", "RESULT_BACKEND", "QUEUE",
                                                          "CALLBACK_SECRET", "GRADE_TIMEOUT")]
        copies = ("hmac.new(", '"sabaq.grade"', "'sabaq.grade'", "X-Sabaq-Signature", '"schema_version": 1', *reads)
        for copy in copies:
            assert copy not in text, f"{path.relative_to(ROOT)} defines {copy} again"


def test_signing_round_trip_and_refusals() -> None:
    body = b'{"a": 1}'
    headers = signing.sign("s3cret", body)
    stamp, sig = headers[signing.TIMESTAMP_HEADER], headers[signing.SIGNATURE_HEADER]
    signing.verify("s3cret", body, stamp, sig)
    cases = [("s3cret", body, None, sig, "signature_missing"), ("s3cret", body, stamp, None, "signature_missing"),
             ("s3cret", body, "12x", sig, "signature_missing"), ("other", body, stamp, sig, "signature_bad"),
             ("", body, stamp, sig, "callback_disabled"), ("s3cret", body + b" ", stamp, sig, "signature_bad")]
    for secret, signed, stamp_, sig_, code in cases:
        with pytest.raises(SignatureInvalid) as info:
            signing.verify(secret, signed, stamp_, sig_)
        assert info.value.code == code
    with pytest.raises(SignatureStale):
        signing.verify("s3cret", body, stamp, sig, now=time.time() + signing.MAX_AGE_SECONDS + 5)


def test_error_reports_follow_the_schema_and_pass_the_check() -> None:
    for kind in report.ERROR_KINDS:
        made = report.error_report(kind, "why", engine_version="9")
        jsonschema.validate(made, report.schema())
        assert report.check(made) is made
    with pytest.raises(ReportInvalid):
        report.error_report("no_such_kind", "why")
    assert report.schema()["properties"]["error"]["oneOf"][1]["properties"]["kind"]["enum"] == list(
        report.ERROR_KINDS)


@pytest.mark.parametrize("bad", [
    None, [], {"status": "excellent"}, {"status": "graded", "score": "3", "max_score": 3},
    {"status": "graded", "score": True, "max_score": 3}, {"status": "graded", "score": float("nan"), "max_score": 3},
    {"status": "graded", "score": 4, "max_score": 3}, {"status": "graded", "score": -1, "max_score": 3},
    {"status": "graded", "score": 1, "max_score": 3, "tests": "all"},
    {"status": "graded", "score": 1, "max_score": 3, "tests": [1]},
    {"status": "error", "error": "boom"}, {"status": "graded", "score": 1, "max_score": 1, "schema_version": 2},
])
def test_the_check_refuses_what_the_block_cannot_store(bad: object) -> None:
    with pytest.raises(ReportInvalid):
        report.check(bad)


def test_states_one_vocabulary_and_its_moves() -> None:
    assert {State.QUEUED, State.RUNNING, State.GRADED, State.ERROR} == states.PENDING | states.FINAL
    assert states.allowed("queued", "running") and states.allowed("running", "graded")
    assert states.allowed("running", "queued")  # a lost run queued again
    for final in states.FINAL:
        for target in State:
            assert not states.allowed(final, target)
    with pytest.raises(TransitionRefused):
        states.check("graded", "queued")
    assert states.sources(State.GRADED) == ("queued", "running")
    assert states.sources(State.RUNNING) == ("queued", "running")


def test_settings_defaults_environment_and_overrides(tmp_path: Path) -> None:
    plain = deployment.load({}, {})
    assert plain.queue == "sabaq" and plain.grade_timeout == 600 and plain.max_pending_per_learner == 2
    assert plain.broker_url.startswith("sqla+sqlite:///") and plain.broker_kind == "sqlalchemy"
    env = {"SABAQ_DATA_DIR": str(tmp_path), "SABAQ_QUEUE": "q", "SABAQ_GRADE_TIMEOUT": "90",
           "SABAQ_BROKER_URL": "redis://127.0.0.1:6379/0"}
    chosen = deployment.load({"queue": "from-settings"}, env)
    assert chosen.queue == "from-settings" and chosen.data_dir == tmp_path
    assert chosen.submissions_db == f"sqlite:///{tmp_path / 'submissions.sqlite'}"
    assert chosen.broker_kind == "redis" and chosen.visibility_timeout == 90 + deployment.VISIBILITY_MARGIN
    assert deployment.load({"BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//"}, {}).broker_kind == "amqp"
    with pytest.raises(SettingsInvalid):
        deployment.load({"GRADE_TIMEOUT": "soon"}, {})
    with pytest.raises(SettingsInvalid):
        _ = deployment.load({"BROKER_URL": "carrier-pigeon://x"}, {}).broker_kind


def test_broker_settings_lose_nothing_and_outlast_a_grading() -> None:
    for url, options in (("redis://127.0.0.1:6379/0", {"visibility_timeout": 360}),
                         ("amqp://guest:guest@127.0.0.1:5672//", {"confirm_publish": True}),
                         ("sqla+sqlite:///x.sqlite", {})):
        config = broker.celery_config(deployment.load({"BROKER_URL": url, "GRADE_TIMEOUT": "300"}, {}), "worker")
        assert config["task_acks_late"] and config["task_reject_on_worker_lost"]
        assert config["worker_prefetch_multiplier"] == 1 and config["task_time_limit"] == 300
        assert config["broker_transport_options"] == options


def test_a_grade_request_is_what_the_worker_task_takes() -> None:
    from sabaq_grading.worker import tasks as worker

    request = tasks.GradeRequest("{}", "{}", "s1", "tok", "http://lms/cb", {"a.txt": "eA=="},
                                 {"max_cells": 5, "max_notebook_bytes": 9})
    parameters = inspect.signature(worker.grade.run).parameters
    assert set(request.kwargs()) <= set(parameters) and list(parameters)[:2] == ["instructor", "submission"]
    assert tasks.GradeRequest.of(*request.args(), **request.kwargs()) == request
    assert worker.grade.name == tasks.GRADE_TASK and worker.prepare.name == tasks.PREPARE_TASK


def test_callback_messages() -> None:
    graded = report.error_report("timeout", "slow")
    for message in (callbacks.Callback(callbacks.STARTED, "s1", "t1"),
                    callbacks.Callback(callbacks.FINISHED, "s1", "t1", graded)):
        assert callbacks.parse(json.loads(message.body())) == message
    older = callbacks.parse({"submission_id": "s1", "report": graded})
    assert older.event == callbacks.FINISHED and older.token == ""
    for bad in ([1], {"submission_id": 3}, {"submission_id": "s", "event": "exploded"},
                {"submission_id": "s", "event": "started", "token": 5}):
        with pytest.raises(CallbackInvalid):
            callbacks.parse(bad)
    with pytest.raises(ReportInvalid):
        callbacks.parse({"submission_id": "s1", "report": {"status": "graded", "score": 9, "max_score": 1}})


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/13", "amqp://guest:guest@127.0.0.1:5672//"])
def test_worker_and_block_configure_celery_alike(url: str, tmp_path: Path) -> None:
    from sabaq_grading.worker.app import make_app
    from sabaq_xblock.backend import _celery_app

    settings = deployment.load({"DATA_DIR": str(tmp_path), "BROKER_URL": url, "GRADE_TIMEOUT": "240",
                                "QUEUE": f"q-{tmp_path.name}"}, {})
    worker, block = make_app(settings).conf, _celery_app(settings).conf
    for key, value in broker.celery_config(settings, "worker").items():
        assert worker[key] == value, key
        if key not in broker.result_retries("worker"):
            assert block[key] == value, key
    for key, value in broker.result_retries("block").items():
        assert block[key] == value, key

    def patience(conf: Any) -> float:  # seconds of backoff before a result-backend call gives up
        sleep, total = conf.result_backend_base_sleep_between_retries_ms / 1000, 0.0
        for _ in range(conf.result_backend_max_retries):
            total += min(sleep, conf.result_backend_max_sleep_between_retries_ms / 1000)
            sleep *= 2
        return total

    assert patience(worker) > 45 and patience(block) < 1.5  # the worker stores, the block only reads
    assert worker.broker_url == block.broker_url == url
    if url.startswith("redis"):
        assert worker.broker_transport_options == {"visibility_timeout": 300}
