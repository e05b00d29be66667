"""A static catalog of bundles that any web server or Git host can serve.

``sabaq publish BUNDLE... --catalog DIR --trust KEYFILE...`` checks each bundle (every
file and the signature, by one of the keys given), copies it to ``DIR/bundles/`` and rewrites

- ``index.json``: every module id, its versions, and for each the file, its SHA-256 and
  size, the licence, languages, authors, title and the signer's key id;
- ``index.html`` and ``index.ur.html``: the same for people, in English and in Urdu.

A published version is immutable: publishing other bytes under a published id and version
is refused. Publishing is serialised by a lock file, and every file is replaced atomically,
so a reader never sees a half-written catalog. :func:`fetch` reads a catalog over HTTP and
downloads a bundle through :mod:`sabaq_contract.catalogs` (which the block reads catalogs
with too); the bytes checked are the bytes kept.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sabaq_contract.bundles import SUFFIX, Bundle, BundleError, check_bundle
from sabaq_contract.catalogs import FORMAT, INDEX, check_index, fetch_bundle, read_index, version_key
from sabaq_contract.keys import PublicKey

__all__ = ["catalog_page", "fetch", "load_index", "publish", "read_index"]

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


def write_public_file(path: Path, data: bytes) -> None:
    """Write ``data`` as ``path`` (readable by all) atomically: never half a file under its name."""
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
    check_index(index, str(path))
    return dict(index)


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
                write_public_file(catalog / entry["file"], data)
                versions[bundle.version] = entry
                added.append(f"{bundle.id} {bundle.version}")
        text = json.dumps(index, indent=1, sort_keys=True, ensure_ascii=False)
        write_public_file(catalog / INDEX, text.encode("utf-8"))
        for language in LABELS:
            name = "index.html" if language == "en" else f"index.{language}.html"
            write_public_file(catalog / name, catalog_page(index, language).encode("utf-8"))
    return added


def catalog_page(index: dict[str, Any], language: str) -> str:
    """The catalog as a page for people (English or Urdu)."""
    text = LABELS[language]
    other = "ur" if language == "en" else "en"
    e = html.escape
    rows = []
    for module_id in sorted(index["modules"]):
        versions = index["modules"][module_id]["versions"]
        for version in sorted(versions, key=version_key, reverse=True):
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


def fetch(url: str, module_id: str, version: str | None, out: Path,
          trusted: Sequence[PublicKey]) -> tuple[Path, Bundle]:
    """Download a module's bundle from a catalog (see :func:`sabaq_contract.catalogs.fetch_bundle`)
    and write it to ``out`` only when it passes every check."""
    data, bundle = fetch_bundle(url, module_id, version, trusted)
    out.mkdir(parents=True, exist_ok=True)
    target = out / bundle.file_name
    write_public_file(target, data)
    return target, bundle
