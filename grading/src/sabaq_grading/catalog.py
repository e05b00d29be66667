"""A static catalog of bundles that any web server or Git host can serve.

``sabaq publish BUNDLE... --catalog DIR --trust KEYFILE...`` checks each bundle (every
file and the signature, by one of the keys given), copies it to ``DIR/bundles/`` and rewrites

- ``index.json``: every module id, its versions, and for each the file, its SHA-256 and
  size, the licence, languages, authors, title and the signer's key id;
- ``index.html`` and ``index.ur.html``: the same for people, in English and in Urdu.

A published version is immutable: publishing other bytes under a published id and version
is refused. Publishing is serialised by a lock file, and every file is replaced atomically,
so a reader never sees a half-written catalog. :func:`fetch` reads a catalog over HTTP and
downloads a bundle, checking its SHA-256 against the index before :func:`.check_bundle`
checks the rest; the bytes checked are the bytes kept. The index itself is not signed: whoever
serves it can hold back a newer version (never forge one), so a partner pins the version it
uses and sees what ``fetch`` chose.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import json
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sabaq_contract.bundles import MAX_BUNDLE_BYTES, SUFFIX, Bundle, BundleError, check_bundle
from sabaq_contract.keys import PublicKey

FORMAT = "sabaq-catalog/1"
INDEX = "index.json"
MAX_INDEX_BYTES = 8 << 20
FETCH_TIMEOUT = 30.0

LABELS = {
    "en": {"title": "Module catalog", "module": "Module", "version": "Version", "licence": "Licence",
           "languages": "Languages", "signer": "Signed by key", "sha256": "SHA-256", "download": "Download",
           "authors": "Authors", "other": "اردو", "other_page": "index.ur.html", "dir": "ltr",
           "intro": "Signed Sabaq module bundles. Check one before use: "
                    "sabaq verify FILE --trust PUBLISHER.pub"},
    "ur": {"title": "ماڈیول کیٹلاگ", "module": "ماڈیول", "version": "ورژن", "licence": "لائسنس",
           "languages": "زبانیں", "signer": "دستخط کی کلید", "sha256": "SHA-256", "download": "ڈاؤن لوڈ",
           "authors": "مصنفین", "other": "English", "other_page": "index.html", "dir": "rtl",
           "intro": "سبق کے دستخط شدہ ماڈیول بنڈل۔ استعمال سے پہلے جانچ لیں: "
                    "sabaq verify FILE --trust PUBLISHER.pub"},
}


@contextlib.contextmanager
def _locked(catalog: Path) -> Iterator[None]:
    catalog.mkdir(parents=True, exist_ok=True)
    with open(catalog / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def load_index(catalog: Path) -> dict[str, Any]:
    path = catalog / INDEX
    if not path.exists():
        return {"format": FORMAT, "modules": {}}
    try:
        index = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise BundleError(f"{path}: not a catalog index ({error})") from None
    _check_index(index, str(path))
    return dict(index)


def _check_index(index: Any, where: str) -> None:
    if not isinstance(index, dict) or index.get("format") != FORMAT or not isinstance(index.get("modules"), dict):
        raise BundleError(f"{where}: not a Sabaq catalog index (format {FORMAT})")


def _entry(bundle: Bundle, data: bytes) -> dict[str, Any]:
    """The index entry of a verified bundle."""
    manifest = bundle.manifest
    return {"file": f"bundles/{bundle.id}/{bundle.version}{SUFFIX}", "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "title": manifest["title"], "licence": manifest["licence"], "languages": manifest["languages"],
            "authors": manifest["authors"], "signer": bundle.signer,
            "requires_sabaq": manifest["requires_sabaq"]}


def publish(paths: Sequence[Path], catalog: Path, trusted: Sequence[PublicKey]) -> list[str]:
    """Add bundles to the catalog in ``catalog``; returns "id version" for each one added.

    Each must be intact and signed by one of ``trusted``: a catalog lists only what verified.
    """
    checked = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise BundleError(f"{path}: cannot read it ({error.strerror or error})") from None
        checked.append((check_bundle(data, str(path), trusted), data))  # these bytes, checked, are kept
    added = []
    with _locked(catalog):
        index = load_index(catalog)
        for bundle, data in checked:
            entry = _entry(bundle, data)
            versions = index["modules"].setdefault(bundle.id, {"versions": {}})["versions"]
            known = versions.get(bundle.version)
            if known is not None and known["sha256"] != entry["sha256"]:
                raise BundleError(f"{bundle.id} {bundle.version} is published already with other content "
                                  f"(SHA-256 {known['sha256']}); a published version never changes: publish a new "
                                  f"version instead")
            if known is None:
                taken = {v["file"] for m in index["modules"].values() for v in m["versions"].values()}
                if entry["file"] in taken:  # ids and versions are slugs and semver: cannot happen
                    raise BundleError(f"{entry['file']} is another version's file already")
                _write(catalog / entry["file"], data)
                versions[bundle.version] = entry
                added.append(f"{bundle.id} {bundle.version}")
        _write(catalog / INDEX, json.dumps(index, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        for language in LABELS:
            name = "index.html" if language == "en" else f"index.{language}.html"
            _write(catalog / name, catalog_page(index, language).encode("utf-8"))
    return added


def _version_key(version: str) -> tuple[Any, ...]:
    """Semantic version order: numbers as numbers, a pre-release before its release."""
    core, _, rest = version.partition("+")[0].partition("-")
    numbers = tuple(int(part) if re.fullmatch(r"[0-9]{1,9}", part) else -1 for part in core.split("."))
    if not rest:
        return (numbers, 1, ())
    tags = tuple((0, int(tag), "") if re.fullmatch(r"[0-9]{1,9}", tag) else (1, 0, tag) for tag in rest.split("."))
    return (numbers, 0, tags)


def catalog_page(index: dict[str, Any], language: str) -> str:
    """The catalog as a page for people (English or Urdu)."""
    text = LABELS[language]
    other = "ur" if language == "en" else "en"
    e = html.escape
    rows = []
    for module_id in sorted(index["modules"]):
        versions = index["modules"][module_id]["versions"]
        for version in sorted(versions, key=_version_key, reverse=True):
            entry = versions[version]
            authors = ", ".join(str(a.get("name", "")) for a in entry.get("authors", []) if isinstance(a, dict))
            rows.append(
                f"<tr><td><strong>{e(str(entry['title']))}</strong><br><code>{e(module_id)}</code></td>"
                f"<td>{e(version)}</td><td>{e(str(entry['licence']))}</td>"
                f"<td>{e(', '.join(map(str, entry['languages'])))}</td><td>{e(authors)}</td>"
                f"<td><code>{e(str(entry['signer']))}</code></td>"
                f"<td><code class=\"sha\">{e(str(entry['sha256']))}</code></td>"
                f"<td><a href=\"{e(str(entry['file']))}\">{e(text['download'])}</a></td></tr>")
    head = "".join(f"<th>{e(text[key])}</th>" for key in
                   ("module", "version", "licence", "languages", "authors", "signer", "sha256", "download"))
    return (f"<!DOCTYPE html>\n<html lang=\"{language}\" dir=\"{text['dir']}\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{e(text['title'])}</title>"
            "<style>body{font-family:'Noto Sans','Noto Naskh Arabic',sans-serif;margin:2rem;max-width:80rem}"
            "table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.4rem;vertical-align:top;"
            "text-align:start}.sha{font-size:.75rem;word-break:break-all}</style></head><body>"
            f"<p><a href=\"{text['other_page']}\" lang=\"{other}\">{e(text['other'])}</a></p>"
            f"<h1>{e(text['title'])}</h1><p>{e(text['intro'])}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></body></html>\n")


# ---- reading one over HTTP -------------------------------------------------------------


def _get(url: str, limit: int) -> bytes:
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise BundleError(f"{url}: a catalog is read over http or https, not {scheme or 'a bare path'}")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
            data = bytes(response.read(limit + 1))
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise BundleError(f"{url}: cannot read it ({getattr(error, 'reason', error)})") from None
    if len(data) > limit:
        raise BundleError(f"{url}: larger than {limit} bytes")
    return data


def read_index(url: str) -> dict[str, Any]:
    """The index of the catalog at ``url`` (the catalog's folder, or its index.json)."""
    index_url = url if url.endswith(".json") else url.rstrip("/") + "/" + INDEX
    try:
        index = json.loads(_get(index_url, MAX_INDEX_BYTES))
    except ValueError as error:
        raise BundleError(f"{index_url}: not JSON ({error})") from None
    _check_index(index, index_url)
    return dict(index)


def fetch(url: str, module_id: str, version: str | None, out: Path,
          trusted: Sequence[PublicKey]) -> tuple[Path, Bundle]:
    """Download ``module_id`` (its newest version, or ``version``) from the catalog at ``url``.

    The bundle is checked against the index's SHA-256 and then by :func:`.read_bundle`
    with ``trusted``; only a bundle that passes is written to ``out``.
    """
    index = read_index(url)
    module = index["modules"].get(module_id)
    if not isinstance(module, dict) or not module.get("versions"):
        raise BundleError(f"{url}: the catalog has no module {module_id!r} "
                          f"(it has {', '.join(sorted(index['modules'])) or 'none'})")
    versions = module["versions"]
    chosen = version or max(versions, key=_version_key)
    entry = versions.get(chosen)
    if not isinstance(entry, dict):
        raise BundleError(f"{url}: {module_id} has no version {chosen} (it has {', '.join(sorted(versions))})")
    file = str(entry.get("file", ""))
    if file != f"bundles/{module_id}/{chosen}{SUFFIX}":
        raise BundleError(f"{url}: the index names the file {file!r}, not the one under bundles/ a catalog uses")
    base = url if url.endswith("/") else (url.rsplit("/", 1)[0] + "/" if url.endswith(".json") else url + "/")
    data = _get(urllib.parse.urljoin(base, file), MAX_BUNDLE_BYTES)
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise BundleError(f"{url}: {file} is not the file the catalog lists (its SHA-256 differs)")
    out.mkdir(parents=True, exist_ok=True)
    bundle = check_bundle(data, f"{url} {file}", trusted)
    if (bundle.id, bundle.version) != (module_id, chosen):
        raise BundleError(f"{url}: {file} holds {bundle.id} {bundle.version}, not {module_id} {chosen}")
    target = out / bundle.file_name
    _write(target, data)
    return target, bundle
