"""The main job: `.ci/demo` serves every course notebook in the workbench, with grading working."""

from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "tests" / "plugin"))

from servers import Client, free_port  # noqa: E402

ASSIGNMENT = ROOT / "courses" / "epidemic-modelling" / "source" / "sir-euler-step" / "sir-euler-step.ipynb"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    port = free_port()
    data = tmp_path_factory.mktemp("demo-data")
    env = {**os.environ, "SABAQ_PORT": str(port), "SABAQ_DATA_DIR": str(data),
           "SABAQ_CATALOG_PORT": str(free_port()), "SABAQ_LTI_PORT": str(free_port())}
    log_path = data / "demo.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(["bash", str(ROOT / ".ci" / "demo")], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while "Sabaq workbench at" not in log_path.read_text(errors="replace"):
            assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the demo did not come up in time"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", log_path.read_text(errors="replace"), data
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def reference_answers(path: Path) -> dict[str, str]:
    answers = {}
    for cell in json.loads(path.read_text())["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        source = "".join(cell["source"])
        if meta.get("solution") and cell["cell_type"] == "code":
            answers[meta["grade_id"]] = "\n".join(
                line for line in source.splitlines() if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line
            )
    return answers


def test_every_course_notebook_is_a_scenario(demo: tuple[str, str, Path]) -> None:
    base, log, _ = demo
    assert f"demo: Sabaq workbench at {base}/" in log
    with urllib.request.urlopen(f"{base}/", timeout=60) as response:
        home = response.read().decode()
    notebooks = sorted(ROOT.glob("courses/*/lessons/*.ipynb")) + sorted(ROOT.glob("courses/*/source/*/*.ipynb"))
    # and one partner's unit made from a module bundle (see test_the_sample_courses_are_shared_as_bundles)
    assert len(re.findall(r'href="/scenario/sabaq_notebook\.\d+/"', home)) == len(notebooks) + 1
    assert "Modelling Epidemics for Public Health: sir-euler-step" in home


def test_the_reference_solution_is_graded_full_marks_through_the_page(
    demo: tuple[str, str, Path],
) -> None:
    base, _, _ = demo
    with urllib.request.urlopen(f"{base}/", timeout=60) as response:
        home = response.read().decode()
    scenario = re.search(r'href="/scenario/(sabaq_notebook\.\d+)/">[^<]*sir-euler-step<', home)
    assert scenario, home[:2000]
    client = Client(base, "demo-learner")
    usage = client.usage_id(scenario.group(1))
    page = client.page(scenario.group(1))
    assert "BEGIN SOLUTION" not in page and "HIDDEN TESTS" not in page
    status, queued = client.post(usage, "submit", {"answers": reference_answers(ASSIGNMENT)})
    assert status == 200 and queued["state"] == "queued", queued
    final = client.wait_final(usage, queued["submission_id"], limit=180)
    assert final["state"] == "graded", final
    # every autograded point; the written answer's points wait for a tutor, as in nbgrader
    cells = json.loads(ASSIGNMENT.read_text("utf-8"))["cells"]
    meta = [c["metadata"].get("nbgrader", {}) for c in cells]
    autograded = sum(m["points"] for m in meta if m.get("grade") and not m.get("solution"))
    by_hand = sum(m["points"] for m in meta if (m.get("grade") and m.get("solution")) or m.get("task"))
    assert by_hand > 0 and final["score"] == autograded > 0
    assert final["max_score"] == autograded + by_hand


# ---- learners see only what learners see ----------------------------------------------

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "BEGIN MARK SCHEME", "instructor_notebook")
_REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS|MARK SCHEME)(.*?)### END \1", re.S)
_KEY_ARGUMENT = re.compile(r"\b(answer|explanation|feedback\w*|accepted|pattern|[ar]bs_tol|rel_tol)\s*=")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _shown_models(cell: dict[str, Any]) -> set[str]:
    views = [o.get("data", {}).get("application/vnd.jupyter.widget-view+json") for o in cell.get("outputs", [])]
    return {v["model_id"] for v in views if isinstance(v, dict)}


def instructor_secrets(instructors: list[dict[str, Any]]) -> set[str]:
    """Lines of solutions, hidden tests and mark schemes; model answers; answer keys.

    What a learner may see anyway (text outside those places in any of the notebooks) is
    left out, and so are lines too short to say anything (``return x``).
    """
    from sabaq_widgets.scoring import strip_keys

    secret: set[str] = set()
    public: set[str] = set()
    for nb in instructors:
        _, keys = strip_keys(nb)
        for key in keys.values():
            secret.update(_flat(s) for s in _strings(key["key"]) if len(_flat(s)) >= 12)
        for cell in nb["cells"]:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            meta = cell["metadata"].get("nbgrader", {})
            if cell["cell_type"] == "markdown" and meta.get("solution"):
                phrases = re.split(r"[*`$_\[\]()\\|#\n]", _REGION.sub(r"\2", source))
                secret.update(_flat(p) for p in phrases if len(_flat(p)) >= 20)
                continue
            hidden = [m.group(2) for m in _REGION.finditer(source)]
            secret.update(_flat(line) for region in hidden for line in region.splitlines()
                          if len(_flat(line)) >= 16)
            if _shown_models(cell) & set(keys):
                secret.update(_flat(line) for line in source.splitlines()
                              if _KEY_ARGUMENT.search(line) and len(_flat(line)) >= 12)
                continue
            public.update(_flat(line) for line in _REGION.sub("", source).splitlines())
    return {s for s in secret if not any(s in p for p in public)}


def _text_of(body: bytes) -> str:
    """Everything a response says, as flat text: raw, without tags, JSON strings, init arguments."""
    raw = body.decode("utf-8", errors="replace")
    parts = [raw, html.unescape(re.sub(r"<[^>]*>", "", raw))]
    with contextlib.suppress(ValueError):
        parts.extend(_strings(json.loads(raw)))
    for encoded in re.findall(r'"encoded": "([A-Za-z0-9+/=]+)"', raw):
        parts.extend(_strings(json.loads(base64.b64decode(encoded))))
    return _flat("\n".join(parts))


class Crawler:
    """An anonymous visitor (``student`` None) or a learner, opening everything they can reach."""

    def __init__(self, base: str, student: str | None) -> None:
        self.client = Client(base, student or "student_1")
        self.query = f"?student={student}" if student else ""
        self.seen: dict[str, tuple[int, bytes]] = {}

    def get(self, path: str) -> tuple[int, bytes]:
        if path not in self.seen:
            request = urllib.request.Request(self.client.base + path)
            self.seen[path] = self.client._open(request)
        return self.seen[path]

    def post(self, path: str, data: Any) -> tuple[int, bytes]:
        token = next((c.value for c in self.client.jar if c.name == "csrftoken"), "")
        request = urllib.request.Request(
            self.client.base + path, data=json.dumps(data).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": token})
        answer = self.client._open(request)
        self.seen[f"POST {path} {json.dumps(data)[:60]}"] = answer
        return answer

    def links(self, path: str) -> list[str]:
        body = self.get(path)[1].decode("utf-8", errors="replace")
        found = re.findall(r'(?:src|href)=["\'](/[^"\'#]*)["\']', body)
        return [html.unescape(u) for u in found if not u.startswith("//")]

    def crawl(self, scenarios: list[str], probes: list[str]) -> None:
        for link in self.links("/"):
            self.get(link)
        for scenario in scenarios:
            pages = [f"/{kind}/{scenario}/{view}{self.query}" for kind in ("scenario", "view")
                     for view in ("", "student_view/", "author_view/", "studio_view/")]
            for page in pages:
                for link in self.links(page):
                    self.get(link)
            body = self.get(f"/view/{scenario}/{self.query}")[1].decode()
            usage = re.search(r"data-usage=['\"]([^'\"]+)['\"]", body)
            assert usage, body[:500]
            for path in ("handler", "unauth_handler"):
                base = f"/{path}/{usage.group(1)}"
                query = self.query if path == "handler" else ""
                self.get(f"{base}/download/{query}")
                self.post(f"{base}/status/{query}", {})
                self.post(f"{base}/learner_report/{query}", {})
                status, loaded = self.post(f"{base}/widget_state/{query}", {"action": "load"})
                models = json.loads(loaded).get("models", {}) if status == 200 else {}
                for kind in {m["kind"] for m in models.values()}:
                    self.get(f"{base}/widget_module/{kind}.js{query}")
                    self.get(f"{base}/widget_module/{kind}.css{query}")
        for probe in probes:
            self.get(probe)


def test_no_visitor_or_learner_can_reach_instructor_material(demo: tuple[str, str, Path]) -> None:
    base, _, data = demo
    scenario_files = sorted((data / "demo-scenarios").glob("*.xml"))
    instructors = [json.loads(re.search(r"<instructor_notebook><!\[CDATA\[(.*?)\]\]>", f.read_text(
        "utf-8"), re.S).group(1).replace("]]\\u003e", "]]>")) for f in scenario_files]
    secrets = instructor_secrets(instructors)
    assert len(secrets) > 100  # solutions, hidden tests, model answers and keys of every course

    with urllib.request.urlopen(f"{base}/", timeout=60) as response:
        home = response.read().decode()
    scenarios = [f"sabaq_notebook.{i}" for i in range(len(scenario_files))]  # in file order
    assert sorted(re.findall(r'href="/scenario/(sabaq_notebook\.\d+)/"', home)) == sorted(scenarios)
    assignments = [s for s, nb in zip(scenarios, instructors, strict=True)
                   if any(c["metadata"].get("nbgrader", {}).get("solution") for c in nb["cells"])]
    # every course assignment, and the partner's unit pinned to a bundle of one of them
    assert len(assignments) == len(list(ROOT.glob("courses/*/source/*/*.ipynb"))) + 1
    files = sorted(ROOT.glob("courses/*/lessons/*.ipynb")) + sorted(ROOT.glob("courses/*/source/*/*"))
    probes = ["/admin/", "/admin/login/", "/userlist/", "/reset_state", "/favicon.ico",
              "/var/workbench.db", "/.ci/demo", "/pyproject.toml",
              *[f"/{p.relative_to(ROOT)}" for p in files],
              *[f"/var/sabaq/demo-scenarios/{f.name}" for f in scenario_files]]

    learner = Crawler(base, "crawling-learner")
    for scenario in assignments:  # graded feedback too: hidden tests fail on a blank answer
        usage = learner.client.usage_id(scenario)
        cells = re.findall(r'data-grade-id="([^"]+)" data-mode="python"', learner.client.page(scenario))
        status, queued = learner.client.post(usage, "submit", {"answers": {cells[0]: "pass"}})
        assert status == 200, queued
        final = learner.client.wait_final(usage, queued["submission_id"], limit=240)
        assert final["state"] == "graded" and final["feedback"], final
    crawlers = [Crawler(base, None), learner]
    for crawler in crawlers:
        crawler.crawl(scenarios, probes)

    leaks = []
    for crawler in crawlers:
        assert len(crawler.seen) > 10 * len(scenarios)
        for url, (status, body) in crawler.seen.items():
            text = _text_of(body)
            leaks += [(url, m) for m in MARKERS if m in text]
            leaks += [(url, s) for s in secrets if s in text]
            if url.startswith("POST") and "widget_state" in url and status == 200:
                for model_id, model in json.loads(body).get("models", {}).items():
                    if model["state"].get("key"):
                        leaks.append((url, f"answer key of {model_id}"))
        for probe in probes:  # the workbench's admin, user list, state reset and working directory
            assert crawler.seen[probe][0] == 404, probe
    assert not leaks, leaks[:20]


def test_staff_pages_need_the_demo_staff_token(demo: tuple[str, str, Path]) -> None:
    """The workbench takes its user from ``?student=``: a staff name alone opens nothing."""
    base, log, _ = demo
    scenario = "sabaq_notebook.0"
    usage = Client(base, "student_1").usage_id(scenario)
    intruder = Client(base, "staff_intruder")
    for path in (f"/scenario/{scenario}/studio_view/", f"/view/{scenario}/author_view/",
                 f"/view/{scenario}/"):
        status, body = intruder._open(urllib.request.Request(f"{base}{path}?student=staff_intruder"))
        assert status == 403 and b"staff token" in body, (path, status)
    status, _ = intruder.post(usage, "regrade", {})
    assert status == 403
    status, _ = intruder._open(urllib.request.Request(f"{base}/staff/login/?token=guess"))
    assert status == 403

    token = re.search(r"/staff/login/\?token=(\S+)", log)
    assert token, log[-2000:]
    staff = Client(base, "staff_1")
    status, _ = staff._open(urllib.request.Request(f"{base}/staff/login/?token={token.group(1)}"))
    assert status == 200  # redirected to the index
    status, body = staff._open(urllib.request.Request(f"{base}/scenario/{scenario}/studio_view/?student=staff_1"))
    assert status == 200 and b"sabaq" in body.lower()


def test_the_sample_courses_are_shared_as_bundles(demo: tuple[str, str, Path]) -> None:
    """The index links the publisher's catalog; every course is in it, signed; a partner's unit
    pinned to 1.0.0 is offered the corrected 1.0.1 the catalog lists."""
    base, log, data = demo
    with urllib.request.urlopen(f"{base}/", timeout=60) as response:
        home = response.read().decode()
    assert "Module catalog" not in home  # its bundles hold solutions and hidden tests: staff only
    token = re.search(r"/staff/login/\?token=(\S+)", log)
    assert token
    staff = Client(base, "staff_sharing")
    status, _ = staff._open(urllib.request.Request(f"{base}/staff/login/?token={token.group(1)}"))
    assert status == 200
    status, page = staff._open(urllib.request.Request(f"{base}/?student=staff_sharing"))
    catalog = re.search(r'href="(http://127\.0\.0\.1:\d+/)">Module catalog', page.decode())
    assert status == 200 and catalog, page[:3000]
    with urllib.request.urlopen(catalog.group(1) + "index.json", timeout=60) as response:
        index = json.loads(response.read())
    courses = {p.parent.name for p in ROOT.glob("courses/*/course.toml")}
    assert courses <= set(index["modules"])
    with urllib.request.urlopen(catalog.group(1) + "index.ur.html", timeout=60) as response:
        assert "ماڈیول کیٹلاگ" in response.read().decode()
    pinned = [m for m, entry in index["modules"].items() if sorted(entry["versions"]) == ["1.0.0", "1.0.1"]]
    assert len(pinned) == 1
    public = data / "demo-publisher" / "sabaq-demo.pub"
    verified = subprocess.run([str(Path(sys.executable).parent / "sabaq"), "fetch", catalog.group(1), pinned[0],
                               "--trust", str(public), "--out", str(data / "fetched")],
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0 and "1.0.1, verified" in verified.stdout, verified.stderr
    scenario = re.search(r'href="/scenario/(sabaq_notebook\.\d+)/">A partner&#x27;s unit, pinned to 1\.0\.0', home)
    assert scenario, home[:3000]
    usage = staff.usage_id(scenario.group(1))
    status, answer = staff.post(usage, "upgrade_status", {})
    assert status == 200, answer
    assert answer["module"] == pinned[0] and answer["version"] == "1.0.0"
    assert answer["available"] == [{"catalog": catalog.group(1), "version": "1.0.1"}]
    learner = Client(base, "student_sharing")
    status, page = learner._open(urllib.request.Request(f"{base}/view/{scenario.group(1)}/?student=student_sharing"))
    assert status == 200 and f"From the shared module {pinned[0]}, version 1.0.0".encode() in page


def test_the_lti_tool_serves_the_sample_modules_beside_the_workbench(demo: tuple[str, str, Path]) -> None:
    """The tool answers on its own port with its keyset, every sample course's units are installed in it,
    and what an LMS administrator enters is written out for Moodle and Canvas."""
    _base, log, data = demo
    found = re.search(r"LTI 1\.3 tool at (http://127\.0\.0\.1:\d+)/", log)
    assert found, log[-3000:]
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{found.group(1)}/lti/jwks", timeout=10) as response:
                keys = json.loads(response.read())["keys"]
            break
        except OSError:
            assert time.monotonic() < deadline, "the LTI tool did not answer"
            time.sleep(0.5)
    assert keys and keys[0]["alg"] == "RS256" and "d" not in keys[0]  # public keys only
    setup = (data / "lti" / "lms-setup.txt").read_text()
    assert f"Initiate login URL               {found.group(1)}/lti/login" in setup and "Paste JSON" in setup
    units = subprocess.run([str(Path(sys.executable).parent / "sabaq-lti"), "units"], capture_output=True, text=True,
                           timeout=120, env={**os.environ, "DJANGO_SETTINGS_MODULE": "sabaq_lti.settings",
                                             "SABAQ_LTI_DATA_DIR": str(data / "lti")})
    assert units.returncode == 0, units.stderr
    courses = {p.parent.name for p in ROOT.glob("courses/*/course.toml")}
    assert courses <= {line.split()[0] for line in units.stdout.splitlines() if not line.startswith(" ")}
