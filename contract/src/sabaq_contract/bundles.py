"""The module bundle format, and the one way to read a bundle: check every byte of it.

A bundle (``<id>-<version>.sabaq``, made by ``sabaq bundle``) is a ZIP archive holding

- ``manifest.json``: id, semantic version, title, languages, licence, authors, the modules
  and their notebooks, the nbgrader metadata version, the Sabaq version it needs, and the
  SHA-256 and size of every file, in canonical JSON;
- ``manifest.sig``: the publisher's Ed25519 signature over the manifest's exact bytes
  (see :mod:`.keys`);
- ``files/...``: the notebooks, data and licence files.

Both sides use this module: the ``sabaq`` command (which makes bundles) and the block (which
offers their newer versions to staff), so neither imports the other. :func:`check_bundle`
refuses, naming the file or field, anything that is not exactly what the publisher signed
(threat model: ``grading/src/sabaq_grading/BUNDLES.md``). Standard library only, but for
Ed25519 (``cryptography``), imported when a signature is checked.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from . import __version__
from .identifiers import SEMVER, SLUG, SPDX
from .keys import ALGORITHM, PublicKey

FORMAT = "sabaq-bundle/1"
SUFFIX = ".sabaq"
MANIFEST, SIGNATURE, FILES = "manifest.json", "manifest.sig", "files/"
MAX_ENTRIES = 10_000
MAX_FILE_BYTES = 64 << 20
MAX_TOTAL_BYTES = 256 << 20
MAX_MANIFEST_BYTES = 4 << 20
MAX_BUNDLE_BYTES = MAX_TOTAL_BYTES + (8 << 20)  # the files, compressed, and the archive's own records
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory: signature ... comment length
_SLUG_BODY = SLUG.pattern.removeprefix("^").removesuffix("$")
DOTTED_SLUG = re.compile(rf"^{_SLUG_BODY}(?:\.{_SLUG_BODY})*$")  # course[.module...]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_AT_LEAST = re.compile(r">=(\d{1,6})\.(\d{1,6})\.(\d{1,6})")


class BundleError(ValueError):
    """A bundle that cannot be made, or one that is not exactly what its publisher signed."""


@dataclass(frozen=True)
class Bundle:
    """A bundle read and checked by :func:`read_bundle`."""

    manifest: dict[str, Any]
    files: Mapping[str, bytes]  # path inside the bundle -> content, every one as the manifest says
    signer: str | None  # the trusted key's id, or None when read without checking the signature

    @property
    def id(self) -> str:
        return str(self.manifest["id"])

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def file_name(self) -> str:
        return f"{self.id}-{self.version}{SUFFIX}"


def canonical(manifest: Mapping[str, Any]) -> bytes:
    return json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")



def _check_layout(data: bytes, where: str) -> None:
    """The archive is nothing but its members: it starts with a member, ends with its
    directory, has no comment, and its directory is small enough to read."""
    if len(data) < _EOCD.size or data[:4] != b"PK\x03\x04":
        raise BundleError(f"{where}: not a bundle (it does not start as a ZIP archive of members)")
    signature, _disk, _start, _here, entries, size, offset, comment = _EOCD.unpack(data[-_EOCD.size:])
    if signature != b"PK\x05\x06" or comment:
        raise BundleError(f"{where}: not a bundle (bytes after its ZIP directory, or a ZIP comment)")
    if entries > MAX_ENTRIES or size > MAX_ENTRIES * 1024 or offset + size != len(data) - _EOCD.size:
        raise BundleError(f"{where}: its ZIP directory is larger than a bundle's may be, or out of place")


def _check_records(data: bytes, where: str) -> None:
    """Every member's local header says what its directory record says, members follow one
    another with nothing between them, and the directory follows the last: the archive holds
    no byte that does not belong to a member, so none a publisher did not write."""
    _, _, _, _, count, size, offset, _ = _EOCD.unpack(data[-_EOCD.size:])
    at, members = offset, []
    for _ in range(count):
        record = data[at:at + 46]
        if len(record) < 46 or record[:4] != b"PK\x01\x02":
            raise BundleError(f"{where}: its ZIP directory is damaged")
        name_length, extra_length, comment_length = struct.unpack("<3H", record[28:34])
        start = struct.unpack("<L", record[42:46])[0]
        name = data[at + 46:at + 46 + name_length]
        if extra_length or comment_length or struct.unpack("<H", record[8:10])[0] & ~0x0800:  # UTF-8 names only
            raise BundleError(f"{where}: the entry {name!r} has fields a bundle never has (extra, comment, flags)")
        members.append((start, record[6:28], name))
        at += 46 + name_length
    if at != offset + size:
        raise BundleError(f"{where}: its ZIP directory is not the size it says")
    expected = 0
    for start, fields, name in sorted(members):
        local = data[start:start + 30]
        if start != expected or len(local) < 30 or local[:4] != b"PK\x03\x04" or local[4:26] != fields \
                or local[26:30] != struct.pack("<2H", len(name), 0) or data[start + 30:start + 30 + len(name)] != name:
            raise BundleError(f"{where}: the entry {name!r} is not where, or not what, the ZIP directory says")
        expected = start + 30 + len(name) + struct.unpack("<L", fields[14:18])[0]  # + its compressed size
    if expected != offset:
        raise BundleError(f"{where}: there are bytes between the last entry and the ZIP directory")


def _entries(data: bytes, where: str) -> dict[str, bytes]:
    """Every member of the archive, read within the limits, each name checked."""
    _check_layout(data, where)
    _check_records(data, where)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise BundleError(f"{where}: not a bundle (not a ZIP archive: {error})") from None
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise BundleError(f"{where}: {len(infos)} entries, over the limit of {MAX_ENTRIES}")
    entries: dict[str, bytes] = {}
    total = 0
    for info in infos:
        name = info.filename
        path = PurePosixPath(name)
        if (name.startswith("/") or "\\" in name or "\0" in name or any(p in ("", ".", "..") for p in name.split("/"))
                or path.is_absolute()):
            raise BundleError(f"{where}: the entry {name!r} is not a plain relative path")
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BundleError(f"{where}: the entry {name!r} is encrypted or compressed in a way bundles never are")
        mode = info.external_attr >> 16
        if info.is_dir() or stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # 0: no Unix type recorded
            raise BundleError(f"{where}: the entry {name!r} is not a regular file (links and folders are refused)")
        if name in entries:
            raise BundleError(f"{where}: the entry {name!r} appears twice")
        limit = MAX_MANIFEST_BYTES if name in (MANIFEST, SIGNATURE) else MAX_FILE_BYTES
        if info.file_size > limit or total + info.file_size > MAX_TOTAL_BYTES:
            raise BundleError(f"{where}: the entry {name!r} is too large ({info.file_size} bytes)")
        try:
            with archive.open(info) as stream:
                content = stream.read(limit + 1)  # the size in the header may lie
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError,
                zlib.error) as error:
            raise BundleError(f"{where}: the entry {name!r} cannot be read ({error})") from None
        if len(content) != info.file_size or len(content) > limit:
            raise BundleError(f"{where}: the entry {name!r} is not the size its header says")
        total += len(content)
        entries[name] = content
    return entries


def _field(manifest: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = manifest.get(name)
    if not isinstance(value, kind) or (isinstance(value, (str, list, dict)) and not value):
        raise BundleError(f"{where}: manifest field `{name}` is missing or not a non-empty "
                          f"{getattr(kind, '__name__', 'value')}")
    return value


def _check_manifest(manifest: Any, where: str) -> None:
    if not isinstance(manifest, dict):
        raise BundleError(f"{where}: {MANIFEST} is not a JSON object")
    if manifest.get("format") != FORMAT:
        raise BundleError(f"{where}: manifest field `format` is {manifest.get('format')!r}; "
                          f"this Sabaq reads {FORMAT!r}")
    if not DOTTED_SLUG.match(str(_field(manifest, "id", str, where))):
        raise BundleError(f"{where}: manifest field `id` {manifest['id']!r} is not a dotted lowercase slug")
    if not SEMVER.match(str(_field(manifest, "version", str, where))):
        raise BundleError(f"{where}: manifest field `version` {manifest['version']!r} is not a semantic version")
    for name in ("title", "licence", "requires_sabaq"):
        _field(manifest, name, str, where)
    if not SPDX.match(manifest["licence"]):
        raise BundleError(f"{where}: manifest field `licence` {manifest['licence']!r} is not an SPDX licence "
                          f"expression; a bundle is shared only under a licence")
    for name in ("languages", "authors", "modules"):
        _field(manifest, name, list, where)
    if not isinstance(manifest.get("nbgrader_metadata_version"), int):
        raise BundleError(f"{where}: manifest field `nbgrader_metadata_version` is not a whole number")
    files = _field(manifest, "files", dict, where)
    for name, entry in files.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and _SHA256.match(entry["sha256"])
                and isinstance(entry.get("bytes"), int)):
            raise BundleError(f"{where}: manifest field `files[{name!r}]` needs a `sha256` (64 hex digits) and `bytes`")
    grading = manifest.get("grading", [])
    if not isinstance(grading, list) or not all(
            isinstance(t, dict) and isinstance(t.get("type"), str) and isinstance(t.get("short_label"), str)
            and isinstance(t.get("weight"), int | float) and not isinstance(t.get("weight"), bool)
            and isinstance(t.get("drop"), int) and not isinstance(t.get("drop"), bool) for t in grading):
        raise BundleError(f"{where}: manifest field `grading` is not a list of assignment types")
    for frame in ("header", "footer"):
        if manifest.get(frame) is not None and (not isinstance(manifest[frame], str) or manifest[frame] not in files):
            raise BundleError(f"{where}: manifest field `{frame}` names a notebook that `files` does not list")
    for module in manifest["modules"]:
        items = module.get("items") if isinstance(module, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("path"), str)
                                                  and i["path"] in files for i in items):
            raise BundleError(f"{where}: manifest field `modules` names a notebook that `files` does not list")
    _check_requirement(str(manifest["requires_sabaq"]), where)


def _check_requirement(requirement: str, where: str) -> None:
    match = _AT_LEAST.fullmatch(requirement)
    if match is None:
        raise BundleError(f"{where}: manifest field `requires_sabaq` {requirement!r} is not `>=` a version")
    have = tuple(int(part) for part in __version__.split(".")[:3])
    if tuple(int(part) for part in match.groups()) > have:
        raise BundleError(f"{where}: the bundle needs Sabaq {requirement}; this is Sabaq {__version__}")


def read_bundle(path: Path | str, trusted: Sequence[PublicKey] | None) -> Bundle:
    """Read and check a bundle; raises :class:`BundleError` naming what is wrong.

    With ``trusted`` (the public keys of publishers one trusts), the signature must verify
    against one of them; ``None`` skips only the signature (to look inside, as ``diff``
    does), never the integrity checks.
    """
    where = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BUNDLE_BYTES + 1)
    except OSError as error:
        raise BundleError(f"{where}: cannot read it ({error.strerror or error})") from None
    return check_bundle(data, where, trusted)


def check_bundle(data: bytes, where: str, trusted: Sequence[PublicKey] | None) -> Bundle:
    """:func:`read_bundle` for bytes already read: what is checked is what the caller keeps."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError(f"{where}: larger than the {MAX_BUNDLE_BYTES} bytes a bundle may have")
    entries = _entries(data, where)
    for required in (MANIFEST, SIGNATURE):
        if required not in entries:
            raise BundleError(f"{where}: no {required} inside; it is not a Sabaq bundle")
    body = entries[MANIFEST]
    try:
        manifest = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BundleError(f"{where}: {MANIFEST} is not JSON ({error})") from None
    _check_manifest(manifest, where)
    if canonical(manifest) != body:  # one text, one meaning: no duplicate keys, no other spelling
        raise BundleError(f"{where}: {MANIFEST} is not in its canonical form (sorted keys, no spaces)")
    signer = _check_signature(entries[SIGNATURE], body, trusted, where) if trusted is not None else None
    listed: dict[str, Any] = manifest["files"]
    stored = {name[len(FILES):]: content for name, content in entries.items() if name.startswith(FILES)}
    strays = sorted(set(entries) - {MANIFEST, SIGNATURE} - {FILES + n for n in stored})
    if strays:
        raise BundleError(f"{where}: {strays[0]} is not a file the manifest can list (only files/... are)")
    for name in sorted(set(stored) - set(listed)):
        raise BundleError(f"{where}: files/{name} is in the bundle but not in its manifest")
    for name in sorted(set(listed) - set(stored)):
        raise BundleError(f"{where}: files/{name} is in the manifest but missing from the bundle")
    for name, entry in sorted(listed.items()):
        content = stored[name]
        if len(content) != entry["bytes"] or hashlib.sha256(content).hexdigest() != entry["sha256"]:
            raise BundleError(f"{where}: files/{name} is not the file the publisher signed (its SHA-256 differs)")
    return Bundle(manifest, stored, signer)


def _check_signature(record: bytes, body: bytes, trusted: Sequence[PublicKey], where: str) -> str:
    import base64
    import binascii

    try:
        fields = json.loads(record.decode("ascii"))
        algorithm, signer, signature = fields["algorithm"], fields["key_id"], base64.b64decode(
            fields["signature"], validate=True)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error):
        raise BundleError(f"{where}: {SIGNATURE} is not a signature record") from None
    if algorithm != ALGORITHM:
        raise BundleError(f"{where}: {SIGNATURE} uses {algorithm!r}; bundles are signed with {ALGORITHM}")
    if not trusted:
        raise BundleError(f"{where}: no trusted key given; pass the publisher's public key (--trust KEYFILE)")
    keys = [key for key in trusted if key.id == signer]
    if not keys:
        known = ", ".join(f"{key.id} ({key.source})" for key in trusted)
        raise BundleError(f"{where}: signed by key {signer}, which is not among the trusted keys: {known}")
    if not keys[0].verifies(signature, body):
        raise BundleError(f"{where}: the signature of {MANIFEST} does not verify with key {signer} "
                          f"({keys[0].source}): the manifest was changed after it was signed")
    return str(signer)
