"""The ``sabaq`` commands for sharing courses and modules: ``build`` (an Open edX course export),
``keys new``, ``bundle``, ``verify``, ``diff``, ``publish`` and ``fetch``."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

EXIT_OK = 0


def cmd_keys_new(args: argparse.Namespace) -> int:
    from .signing import key_id, load_private_key, new_key_pair

    private, public = new_key_pair(Path(args.out), args.name)
    print(f"sabaq: wrote {private} (keep it secret) and {public} (give it to partners); "
          f"key id {key_id(load_private_key(private).public_key())}")
    return EXIT_OK


def cmd_bundle(args: argparse.Namespace) -> int:
    from .bundle import make_bundle, select_modules
    from .course import load_course
    from .signing import load_private_key

    course = load_course(args.course)
    key = load_private_key(Path(args.key))
    name, data = make_bundle(course, select_modules(course, args.modules), key)
    from .catalog import write_public_file

    out = Path(args.out)
    write_public_file(out / name, data)  # a bundle is public; only the key is secret
    print(f"sabaq: wrote {out / name} ({len(data)} bytes)")
    return EXIT_OK


def _trusted(paths: list[str]) -> list[Any]:
    from .signing import load_public_key

    return [load_public_key(Path(path)) for path in paths]


def cmd_verify(args: argparse.Namespace) -> int:
    from .bundle import read_bundle

    bundle = read_bundle(Path(args.bundle), _trusted(args.trust))
    manifest = bundle.manifest
    print(f"sabaq: {args.bundle}: {bundle.id} {bundle.version}, {len(bundle.files)} files intact, "
          f"signed by key {bundle.signer}, licence {manifest['licence']}, "
          f"by {', '.join(a.get('name', '?') for a in manifest['authors'] if isinstance(a, dict))}")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from sabaq_contract.bundle_diff import describe_changes

    from .bundle import read_bundle

    trusted = _trusted(args.trust) if args.trust else None
    old, new = read_bundle(Path(args.old), trusted), read_bundle(Path(args.new), trusted)
    sys.stdout.write("\n".join(describe_changes(old, new)) + "\n")
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from .catalog import publish

    added = publish([Path(p) for p in args.bundles], Path(args.catalog), _trusted(args.trust))
    for line in added:
        print(f"sabaq: published {line}")
    print(f"sabaq: {args.catalog}: {len(added)} added, {len(args.bundles) - len(added)} already there; "
          f"serve the folder as it is (index.json, index.html, index.ur.html, bundles/)")
    return EXIT_OK


def cmd_fetch(args: argparse.Namespace) -> int:
    from .catalog import fetch

    path, bundle = fetch(args.catalog, args.module, args.version, Path(args.out), _trusted(args.trust))
    print(f"sabaq: {path}: {bundle.id} {bundle.version}, verified (signed by key {bundle.signer}, "
          f"licence {bundle.manifest['licence']})")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from .course import load_course
    from .course_export import course_from_bundle, write_export

    source = Path(args.course)
    with tempfile.TemporaryDirectory(prefix="sabaq-build-") as scratch:
        if source.is_file():  # a partner's course, made from a verified bundle
            from .bundle import read_bundle
            from .errors import UsageError

            if not args.trust:
                raise UsageError("building from a bundle needs the publisher's key: --trust KEYFILE")
            origin = read_bundle(source, _trusted(args.trust))
            course = course_from_bundle(origin, Path(scratch))
        else:
            origin, course = None, load_course(source)
        count = write_export(course, Path(args.out), origin)
    made = f"from the bundle {source.name}, " if origin is not None else ""
    print(f"sabaq: wrote {args.out}: the Open edX course export of {course.id} {course.version} ({made}{count} "
          f"files); import it in Studio (Tools > Import) with sabaq-xblock installed")
    return EXIT_OK


def add_commands(commands: Any) -> None:
    """Add the sharing commands to the ``sabaq`` parser's subcommands."""
    build = commands.add_parser(
        "build", help="write an Open edX course export (OLX .tar.gz) made from course.toml",
        description="One chapter per module, one sabaq_notebook unit per notebook (instructor and student "
        "notebooks and data inside), the grading policy, the about page, a course image and the licence.")
    build.add_argument("course", help="the course directory, or a module bundle (.sabaq) a partner published")
    build.add_argument("--out", required=True, help="the .tar.gz to write")
    build.add_argument("--trust", nargs="+", metavar="KEYFILE", help="for a bundle: the publishers' public keys")
    build.set_defaults(run=cmd_build)

    keys = commands.add_parser("keys", help="make a publisher's signing key pair",
                               description="Publisher keys sign bundles (Ed25519).")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    new = key_commands.add_parser("new", help="write NAME.key (secret) and NAME.pub (for partners)",
                                  description="Write a new Ed25519 key pair; an existing key is never overwritten.")
    new.add_argument("name", help="the key's name, such as the publishing university's")
    new.add_argument("--out", default=".", help="directory to write the two files into (default: here)")
    new.set_defaults(run=cmd_keys_new)

    bundle = commands.add_parser(
        "bundle", help="write a signed module bundle (<id>-<version>.sabaq)",
        description="Write the course's modules (or those named) with their data, licence and a manifest, "
        "signed with the publisher's key. A course without a licence is refused.")
    bundle.add_argument("course", help="the course directory")
    bundle.add_argument("--modules", nargs="+", metavar="MODULE", help="only these modules (ids in course.toml)")
    bundle.add_argument("--key", required=True, help="the publisher's private key (from `sabaq keys new`)")
    bundle.add_argument("--out", default=".", help="directory to write the bundle into (default: here)")
    bundle.set_defaults(run=cmd_bundle)

    verify = commands.add_parser(
        "verify", help="check a bundle's integrity, signature and licence",
        description="Exit 0 when every file is the one the publisher signed, with a trusted key, under a licence; "
        "exit 1 naming the file or field that is wrong.")
    verify.add_argument("bundle", help="the .sabaq file")
    verify.add_argument("--trust", nargs="+", required=True, metavar="KEYFILE",
                        help="public keys (.pub) of the publishers you trust")
    verify.set_defaults(run=cmd_verify)

    diff = commands.add_parser(
        "diff", help="say what changed between two versions of a bundle",
        description="Lesson text, tests, points, solutions and data files that changed; hidden tests are "
        "said to have changed, never shown. Both bundles are checked for integrity first.")
    diff.add_argument("old", help="the version you have")
    diff.add_argument("new", help="the version offered")
    diff.add_argument("--trust", nargs="+", metavar="KEYFILE", help="also require signatures by these keys")
    diff.set_defaults(run=cmd_diff)

    publish = commands.add_parser(
        "publish", help="add bundles to a static catalog folder (index.json and pages in English and Urdu)",
        description="Check each bundle (every file, and its signature by one of the trusted keys), copy it into "
        "the catalog and rewrite the index. A published version never changes.")
    publish.add_argument("bundles", nargs="+", metavar="BUNDLE", help=".sabaq files")
    publish.add_argument("--catalog", required=True, help="the catalog folder (made if missing)")
    publish.add_argument("--trust", nargs="+", required=True, metavar="KEYFILE",
                         help="public keys of the publishers whose bundles this catalog lists")
    publish.set_defaults(run=cmd_publish)

    fetch = commands.add_parser(
        "fetch", help="download a module's bundle from a catalog over HTTP, verified",
        description="Download the newest (or the given) version of a module from a catalog, check it against "
        "the index and the trusted keys, and write it only if it passes.")
    fetch.add_argument("catalog", help="the catalog's URL (its folder or its index.json)")
    fetch.add_argument("module", help="the module's id")
    fetch.add_argument("--version", help="this version rather than the newest")
    fetch.add_argument("--trust", nargs="+", required=True, metavar="KEYFILE", help="public keys you trust")
    fetch.add_argument("--out", default=".", help="directory to write the bundle into (default: here)")
    fetch.set_defaults(run=cmd_fetch)
