"""Reading a catalog of bundles over HTTP (``sabaq publish`` writes one; any web host serves it).

The index (``index.json``) lists each module id's versions with the file, its SHA-256 and
size, licence, languages, authors and signer. A bundle is fetched only from the name a
catalog uses (``bundles/<id>/<version>.sabaq`` below the index), checked against the index's
SHA-256 and then whole by :func:`.bundles.check_bundle`. The index itself is not signed:
whoever serves it can hold back a newer version, never forge one.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from .bundles import DOTTED_SLUG, MAX_BUNDLE_BYTES, SUFFIX, Bundle, BundleError, check_bundle
from .identifiers import SEMVER
from .keys import PublicKey

FORMAT = "sabaq-catalog/1"
INDEX = "index.json"
MAX_INDEX_BYTES = 8 << 20
FETCH_TIMEOUT = 30.0


def check_index(index: Any, where: str) -> None:
    if not isinstance(index, dict) or index.get("format") != FORMAT or not isinstance(index.get("modules"), dict):
        raise BundleError(f"{where}: not a Sabaq catalog index (format {FORMAT})")


def version_key(version: str) -> tuple[Any, ...]:
    """Semantic version order: numbers as numbers, a pre-release before its release."""
    core, _, rest = version.partition("+")[0].partition("-")
    numbers = tuple(int(part) if re.fullmatch(r"[0-9]{1,9}", part) else -1 for part in core.split("."))
    if not rest:
        return (numbers, 1, ())
    tags = tuple((0, int(tag), "") if re.fullmatch(r"[0-9]{1,9}", tag) else (1, 0, tag) for tag in rest.split("."))
    return (numbers, 0, tags)



class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within the catalog's own scheme, host and port."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if _origin(newurl) != _origin(req.full_url):
            raise BundleError(f"{req.full_url}: redirected to another site ({_origin(newurl)}); refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _get(url: str, limit: int, seconds: float = FETCH_TIMEOUT) -> bytes:
    """``url``'s body, at most ``limit`` bytes, all of it within ``seconds`` (not per read)."""
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise BundleError(f"{url}: a catalog is read over http or https, not {scheme or 'a bare path'}")
    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    total = 0
    try:
        with urllib.request.build_opener(_SameOrigin).open(url, timeout=seconds) as response:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BundleError(f"{url}: not read within {seconds:g} s")
                chunk = response.read1(min(1 << 16, limit + 1 - total))  # what has arrived: a slow
                # server cannot hold one read past the deadline for longer than the socket's timeout
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
                if total > limit:
                    raise BundleError(f"{url}: larger than {limit} bytes")
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise BundleError(f"{url}: cannot read it ({getattr(error, 'reason', error)})") from None
    return b"".join(chunks)


def newest(index: dict[str, Any], module_id: str) -> str | None:
    """The newest version of ``module_id`` the index lists, or None."""
    module = index["modules"].get(module_id)
    versions = module.get("versions") if isinstance(module, dict) else None
    if not isinstance(versions, dict) or not versions:
        return None
    return str(max(versions, key=version_key))


def read_index(url: str, seconds: float = FETCH_TIMEOUT) -> dict[str, Any]:
    """The index of the catalog at ``url`` (the catalog's folder, or its index.json)."""
    index_url = url if url.endswith(".json") else url.rstrip("/") + "/" + INDEX
    try:
        index = json.loads(_get(index_url, MAX_INDEX_BYTES, seconds))
    except ValueError as error:
        raise BundleError(f"{index_url}: not JSON ({error})") from None
    check_index(index, index_url)
    return dict(index)


def fetch_bundle(url: str, module_id: str, version: str | None, trusted: Sequence[PublicKey],
                 limit: int = MAX_BUNDLE_BYTES) -> tuple[bytes, Bundle]:
    """Download ``module_id`` (its newest version, or ``version``) from the catalog at ``url``.

    The bundle is checked against the index's SHA-256 and then by :func:`.check_bundle` with
    ``trusted``; returns the bytes checked and what they hold.
    """
    index = read_index(url)
    module = index["modules"].get(module_id)
    if not isinstance(module, dict) or not module.get("versions"):
        raise BundleError(f"{url}: the catalog has no module {module_id!r} "
                          f"(it has {', '.join(sorted(index['modules'])) or 'none'})")
    versions = module["versions"]
    if not isinstance(versions, dict):
        raise BundleError(f"{url}: the index's versions of {module_id!r} are not a table")
    chosen = version or max(versions, key=version_key)
    entry = versions.get(chosen)
    if not isinstance(entry, dict):
        raise BundleError(f"{url}: {module_id} has no version {chosen} (it has {', '.join(sorted(versions))})")
    if not (DOTTED_SLUG.match(module_id) and SEMVER.match(chosen)):
        raise BundleError(f"{url}: {module_id!r} {chosen!r} is not a module id and version")
    file = str(entry.get("file", ""))
    if file != f"bundles/{module_id}/{chosen}{SUFFIX}":
        raise BundleError(f"{url}: the index names the file {file!r}, not the one under bundles/ a catalog uses")
    base = url if url.endswith("/") else (url.rsplit("/", 1)[0] + "/" if url.endswith(".json") else url + "/")
    data = _get(urllib.parse.urljoin(base, file), limit)
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise BundleError(f"{url}: {file} is not the file the catalog lists (its SHA-256 differs)")
    bundle = check_bundle(data, f"{url} {file}", trusted)
    if (bundle.id, bundle.version) != (module_id, chosen):
        raise BundleError(f"{url}: {file} holds {bundle.id} {bundle.version}, not {module_id} {chosen}")
    return data, bundle
