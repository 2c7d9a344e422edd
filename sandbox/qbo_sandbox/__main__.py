"""``python -m qbo_sandbox`` / ``qbo-sandbox``: run the QBO sandbox server in the foreground."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from qbo_sandbox.config import SandboxConfig


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="qbo-sandbox", description="Run the local QBO sandbox server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--realm-id", default=None, help="company id (default: the demo realm)")
    parser.add_argument("--customers", type=int, default=None, help="seeded customers")
    parser.add_argument("--vendors", type=int, default=None, help="seeded vendors")
    parser.add_argument("--items", type=int, default=None, help="seeded items")
    parser.add_argument("--invoices", type=int, default=None, help="seeded invoices")
    parser.add_argument("--payments", type=int, default=None, help="seeded payments (on the first invoices)")
    parser.add_argument("--throttle", action="store_true", help="enforce QBO's per-realm limits")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay before every answer")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        metavar="URL",
        help="a redirect URL the demo app accepts (repeat for several; default: Airflow's "
        "/qbo/oauth/callback on localhost:8080 and 127.0.0.1:8080). Intuit matches them exactly.",
    )
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> SandboxConfig:
    from dataclasses import replace

    from qbo_sandbox.model.seed import SeedSpec

    names = ("customers", "vendors", "items", "invoices", "payments")
    sizes = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    seed = replace(SeedSpec.demo(), **sizes)
    config = SandboxConfig(
        host=args.host, port=args.port, throttle=args.throttle, latency_ms=args.latency_ms, seed=seed
    )
    if args.realm_id:
        config.realm_id = args.realm_id
    if args.redirect_uris:
        config.redirect_uris = tuple(args.redirect_uris)
    return config


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    from qbo_sandbox.http.server import SandboxServer

    server = SandboxServer(build_config(args)).start()
    config = server.config
    print(f"QBO sandbox listening at {server.url}")
    print(f"  realm id:      {server.realm_id}")
    print(f"  client id:     {config.client_id}  (secret: see qbo_sandbox.DEMO_CLIENT_SECRET)")
    print(f"  redirect URIs: {', '.join(config.redirect_uris)}")
    print(f"  discovery:     {server.url}/.well-known/openid_configuration")
    print(f"  data API:      {server.url}/v3/company/{server.realm_id}")
    print(f"  throttle: {'on' if config.throttle else 'off'}   latency: {config.latency_ms} ms")
    sys.stdout.flush()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
