"""``sabaq-lti``: set up, run and look after the LTI tool.

Every command maps its errors to an exit code here: 0 done, 1 a pass that could not reach a
service, 2 a wrong argument or refused input (the message says which).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE = 0, 1, 2


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sabaq_lti.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "sabaq_lti", verbosity=0, interactive=False)


def cmd_config(args: argparse.Namespace) -> int:
    from . import setup_text

    if args.json:
        print(json.dumps(setup_text.as_json(), indent=2))
    else:
        print(setup_text.as_text(args.lms))
    return EXIT_OK


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    from . import keys

    key, dropped = keys.rotate()
    print(f"sabaq-lti: key {key.kid} signs from now on; the keyset still publishes the one before it "
          f"for platforms that cached it" + (f"; deleted {', '.join(dropped)}" if dropped else ""))
    return EXIT_OK


def cmd_register(args: argparse.Namespace) -> int:
    from .registry import Endpoints, preset, register

    if args.preset:
        endpoints = preset(args.preset, args.site or "")
    else:
        missing = [n for n in ("issuer", "auth_login_url", "auth_token_url", "keyset_url") if not getattr(args, n)]
        if missing:
            raise ValueError("give --preset moodle|canvas, or every endpoint: missing "
                             + ", ".join("--" + n.replace("_", "-") for n in missing))
        endpoints = Endpoints(args.issuer, args.auth_login_url, args.auth_token_url, args.keyset_url)
    platform = register(endpoints, args.client_id, args.deployment_id or [], args.name or "", args.service_host)
    deployments = ", ".join(platform.deployments.values_list("deployment_id", flat=True)) or "none yet"
    print(f"sabaq-lti: registered {platform.issuer} (client {platform.client_id}; deployments: {deployments})")
    return EXIT_OK


def cmd_platforms(args: argparse.Namespace) -> int:
    from .models import Platform

    for platform in Platform.objects.order_by("id"):
        deployments = ",".join(platform.deployments.values_list("deployment_id", flat=True))
        print(f"{platform.issuer}\tclient={platform.client_id}\tdeployments={deployments}\t{platform.name}")
    return EXIT_OK


def cmd_install(args: argparse.Namespace) -> int:
    from .content import install

    for number, bundle in enumerate(args.bundle, start=1):
        print(f"sabaq-lti: [{number}/{len(args.bundle)}] verifying and building {bundle}", flush=True)
        done = install(Path(bundle), [Path(p) for p in args.trust])
        print(f"sabaq-lti: installed {done.module_id} {done.version}: {len(done.added)} new units"
              + (f", {len(done.kept)} already installed" if done.kept else ""))
    return EXIT_OK


def cmd_units(args: argparse.Namespace) -> int:
    from .content import modules

    for module_id, version, title, units in modules():
        print(f"{module_id} {version}: {title}")
        for unit in units:
            kind = f"graded {unit.max_score:g}" if unit.graded else "lesson"
            print(f"  {unit.item}\t{unit.title}\t{kind}")
    return EXIT_OK


def cmd_deliver_scores(args: argparse.Namespace) -> int:
    import time
    from dataclasses import asdict

    from .scores import deliver_due

    while True:
        done = deliver_due()
        print(json.dumps({"at": time.time(), **asdict(done)}), flush=True)
        if args.every <= 0:
            return EXIT_UNREACHABLE if done.failed else EXIT_OK
        time.sleep(args.every)


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import serve

    serve(args.host, args.port, reconcile_every=args.reconcile_every, grace=args.reconcile_grace)
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="sabaq-lti", description="Sabaq units as an LTI 1.3 tool.")
    sub = top.add_subparsers(dest="command", required=True)
    config = sub.add_parser("config", help="print what an LMS administrator enters (URLs, keys)")
    config.add_argument("--lms", choices=("moodle", "canvas", "all"), default="all")
    config.add_argument("--json", action="store_true", help="Canvas's developer key JSON and the URLs, as JSON")
    config.set_defaults(run=cmd_config)
    sub.add_parser("rotate-keys", help="make a new signing key (the previous stays published)").set_defaults(
        run=cmd_rotate_keys)
    register = sub.add_parser("register", help="register a platform (an LMS's tool registration)")
    register.add_argument("--preset", choices=("moodle", "canvas"))
    register.add_argument("--site", help="the Moodle site's URL (or a self-hosted Canvas's)")
    register.add_argument("--issuer")
    register.add_argument("--auth-login-url")
    register.add_argument("--auth-token-url")
    register.add_argument("--keyset-url")
    register.add_argument("--client-id", required=True)
    register.add_argument("--deployment-id", action="append", help="repeat for each deployment")
    register.add_argument("--name")
    register.add_argument("--service-host", action="append",
                          help="another host of the platform's grade services (a school's own Canvas domain); "
                               "'.example.edu' for every subdomain; repeat for each")
    register.set_defaults(run=cmd_register)
    sub.add_parser("platforms", help="list the registered platforms").set_defaults(run=cmd_platforms)
    install = sub.add_parser("install", help="install module bundles (verified against --trust keys)")
    install.add_argument("bundle", nargs="+")
    install.add_argument("--trust", action="append", default=[], required=True, help="a publisher's .pub file")
    install.set_defaults(run=cmd_install)
    sub.add_parser("units", help="list the installed units").set_defaults(run=cmd_units)
    deliver = sub.add_parser("deliver-scores", help="send the scores platforms have not accepted yet")
    deliver.add_argument("--every", type=float, default=0.0, help="repeat every SECONDS (default: once)")
    deliver.set_defaults(run=cmd_deliver_scores)
    serve = sub.add_parser("serve", help="serve the tool (with score delivery and the reconciler)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("SABAQ_LTI_PORT") or 8100))
    serve.add_argument("--reconcile-every", type=float, default=30.0, help="seconds between reconciler passes")
    serve.add_argument("--reconcile-grace", type=float, default=30.0,
                       help="leave submissions queued less than SECONDS ago to their callbacks")
    serve.set_defaults(run=cmd_serve)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _django()
    from .errors import LtiError

    try:
        result: Any = args.run(args)
    except (ValueError, LtiError, RuntimeError, OSError) as error:
        print(f"sabaq-lti: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:
        from sabaq_contract.errors import ContractError

        if isinstance(error, ContractError):
            print(f"sabaq-lti: {error}", file=sys.stderr)
            return EXIT_USAGE
        raise
    return int(result)


if __name__ == "__main__":
    sys.exit(main())
