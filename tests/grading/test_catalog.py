"""A static catalog: published from bundles, served over HTTP on loopback, read back verified."""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sabaq_grading.bundle import make_bundle, select_modules
from sabaq_grading.catalog import fetch, load_index, publish, read_index
from sabaq_grading.course import load_course
from sabaq_grading.errors import BundleError
from sabaq_grading.signing import load_private_key, load_public_key, new_key_pair

ROOT = Path(__file__).parents[2]
SABAQ = str(Path(sys.executable).parent / "sabaq")


@pytest.fixture()
def made(tmp_path: Path) -> dict[str, Path]:
    """Two versions of one module, a bundle of another course, and the publisher's keys."""
    private, public = new_key_pair(tmp_path / "keys", "uni-a")
    stranger, stranger_pub = new_key_pair(tmp_path / "keys", "stranger")
    course = tmp_path / "epidemic-modelling"
    shutil.copytree(ROOT / "courses" / "epidemic-modelling", course,
                    ignore=shutil.ignore_patterns("release", "__pycache__"))
    out = tmp_path / "bundles"
    out.mkdir()
    paths = {"key": private, "pub": public, "stranger": stranger, "stranger_pub": stranger_pub}

    def bundle(label: str, root: Path, key: Path, *modules: str) -> None:
        loaded = load_course(root)
        name, data = make_bundle(loaded, select_modules(loaded, list(modules) or None), load_private_key(key))
        (out / label).mkdir()
        paths[label] = out / label / name
        paths[label].write_bytes(data)

    bundle("v1", course, private, "sir")
    toml = course / "course.toml"
    toml.write_text(toml.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    (course / "data" / "outbreak.csv").write_text((course / "data" / "outbreak.csv").read_text() + "\n")
    bundle("v2", course, private, "sir")
    bundle("other", ROOT / "courses" / "python-data-science", private)
    bundle("unsigned", course, stranger, "sir")  # 1.1.0 again, but by someone else
    return paths


@pytest.fixture()
def served(served_folder: tuple[Path, str]) -> tuple[Path, str]:
    return served_folder


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.root: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.root = dict(attrs)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _page(path: Path) -> _Text:
    parsed = _Text()
    parsed.feed(path.read_text("utf-8"))
    return parsed


def test_a_published_catalog_lists_every_version_for_machines_and_people(made: dict[str, Path],
                                                                         tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    trusted = [load_public_key(made["pub"])]
    assert publish([made["v1"], made["v2"], made["other"]], catalog, trusted) == [
        "epidemic-modelling.sir 1.0.0", "epidemic-modelling.sir 1.1.0", "python-data-science 1.0.0"]
    assert publish([made["v1"]], catalog, trusted) == []  # the same bytes again: nothing to add
    index = load_index(catalog)
    versions = index["modules"]["epidemic-modelling.sir"]["versions"]
    assert sorted(versions) == ["1.0.0", "1.1.0"]
    entry = versions["1.1.0"]
    assert entry["licence"] == "CC-BY-4.0" and entry["languages"] == ["en", "ur"]
    assert entry["signer"] == trusted[0].id and (catalog / entry["file"]).read_bytes() == made["v2"].read_bytes()
    english, urdu = _page(catalog / "index.html"), _page(catalog / "index.ur.html")
    assert english.root == {"lang": "en", "dir": "ltr"} and urdu.root == {"lang": "ur", "dir": "rtl"}
    assert "Module catalog" in english.text and "ماڈیول کیٹلاگ" in urdu.text
    for page in (english, urdu):
        text = " ".join(page.text)
        assert "epidemic-modelling.sir" in text and "1.1.0" in text and entry["sha256"] in text
        assert entry["file"] == "bundles/epidemic-modelling.sir/1.1.0.sabaq" and entry["file"] in page.links
    assert "index.ur.html" in english.links and "index.html" in urdu.links


def test_a_version_once_published_never_changes(made: dict[str, Path], tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    publish([made["v2"]], catalog, [load_public_key(made["pub"])])
    before = (catalog / "index.json").read_bytes()
    with pytest.raises(BundleError, match="published already with other content"):
        publish([made["unsigned"]], catalog, [load_public_key(made["pub"]), load_public_key(made["stranger_pub"])])
    assert (catalog / "index.json").read_bytes() == before


def test_publishing_refuses_what_does_not_verify(made: dict[str, Path], tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    with pytest.raises(BundleError, match="not among the trusted keys"):
        publish([made["v1"], made["unsigned"]], catalog, [load_public_key(made["pub"])])
    assert not (catalog / "index.json").exists()  # nothing written when one of them fails


def test_fetch_over_http_takes_the_newest_verified(made: dict[str, Path], served: tuple[Path, str],
                                                   tmp_path: Path) -> None:
    folder, url = served
    publish([made["v1"], made["v2"]], folder, [load_public_key(made["pub"])])
    assert sorted(read_index(url)["modules"]) == ["epidemic-modelling.sir"]
    path, bundle = fetch(url, "epidemic-modelling.sir", None, tmp_path / "got", [load_public_key(made["pub"])])
    assert bundle.version == "1.1.0" and path.read_bytes() == made["v2"].read_bytes()
    path, bundle = fetch(url + "index.json", "epidemic-modelling.sir", "1.0.0", tmp_path / "got",
                         [load_public_key(made["pub"])])
    assert bundle.version == "1.0.0"
    result = subprocess.run([SABAQ, "fetch", url, "epidemic-modelling.sir", "--trust", str(made["pub"]),
                             "--out", str(tmp_path / "cli")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "epidemic-modelling.sir 1.1.0, verified" in result.stdout
    with pytest.raises(BundleError, match="no module 'nope'"):
        fetch(url, "nope", None, tmp_path / "got", [load_public_key(made["pub"])])
    with pytest.raises(BundleError, match=r"no version 9\.9\.9"):
        fetch(url, "epidemic-modelling.sir", "9.9.9", tmp_path / "got", [load_public_key(made["pub"])])


def test_fetch_refuses_a_swapped_or_untrusted_bundle_and_writes_nothing(made: dict[str, Path],
                                                                        served: tuple[Path, str],
                                                                        tmp_path: Path) -> None:
    folder, url = served
    publish([made["v2"]], folder, [load_public_key(made["pub"])])
    out = tmp_path / "got"
    with pytest.raises(BundleError, match="not among the trusted keys"):
        fetch(url, "epidemic-modelling.sir", None, out, [load_public_key(made["stranger_pub"])])
    served_file = folder / "bundles" / "epidemic-modelling.sir" / "1.1.0.sabaq"
    assert served_file.is_file()
    served_file.write_bytes(made["unsigned"].read_bytes())  # the host swaps the file
    with pytest.raises(BundleError, match="is not the file the catalog lists"):
        fetch(url, "epidemic-modelling.sir", None, out, [load_public_key(made["pub"])])
    index = json.loads((folder / "index.json").read_text())
    entry = index["modules"]["epidemic-modelling.sir"]["versions"]["1.1.0"]
    entry["file"] = "../keys/uni-a.key"  # the host points the index elsewhere
    (folder / "index.json").write_text(json.dumps(index))
    with pytest.raises(BundleError, match="not the one under bundles/"):
        fetch(url, "epidemic-modelling.sir", None, out, [load_public_key(made["pub"])])
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]
    with pytest.raises(BundleError, match="http or https"):
        read_index(f"file://{folder}/index.json")


def test_versions_are_ordered_as_semantic_versions() -> None:
    from sabaq_contract.catalogs import version_key as _version_key

    versions = ["1.10.0", "2.0.0", "2.0.0-rc.1", "1.9.3", "2.0.0-alpha", "2.0.0-alpha.2", "1.\u00b2.0"]
    assert sorted(versions, key=_version_key)[-1] == "2.0.0"
    assert sorted(versions, key=_version_key)[:1] == ["1.\u00b2.0"]  # not a number: never the newest
    assert sorted(["2.0.0-rc.1", "2.0.0-alpha.2", "2.0.0-alpha", "1.10.0"], key=_version_key) == [
        "1.10.0", "2.0.0-alpha", "2.0.0-alpha.2", "2.0.0-rc.1"]


def test_a_catalog_cannot_send_the_reader_elsewhere_or_hold_it(tmp_path: Path, served: tuple[Path, str]) -> None:
    """A redirect to another site is refused, and a host that drips bytes is given up on in time."""
    import time as clock

    from sabaq_contract import catalogs

    folder, other = served
    (folder / "index.json").write_text('{"format": "sabaq-catalog/1", "modules": {}}')

    class Tricks(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/moved"):
                self.send_response(302)
                self.send_header("Location", other + "index.json")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(30):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    clock.sleep(0.2)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tricks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with pytest.raises(BundleError, match="redirected to another site"):
            catalogs.read_index(base + "moved/")

        with pytest.raises(BundleError, match="not read within 1 s"):
            catalogs.read_index(base + "slow/", seconds=1.0)
        assert catalogs.read_index(other)["modules"] == {}  # the same reader, a plain host
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
