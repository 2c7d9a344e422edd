"""The ``qbo-sync`` command line.

Subcommands live in a small registry: decorate a handler with :func:`command` (name, help, and a
function that adds its arguments) and it appears in ``qbo-sync --help``. A handler takes the parsed
arguments and returns the exit status. Errors a person can act on (a missing connection, an
unmigrated database, a database that cannot be reached) print one readable line and exit 1.

    qbo-sync migrate [--url URL]     apply pending migrations to the CMMS database
    qbo-sync check-db [--url URL]    exit 0 when the CMMS database is migrated, else say what to run
    qbo-sync connect                 OAuth connect flow (auto-approved by the local sandbox server)
    qbo-sync test-connection         read the company's CompanyInfo through quickbooks_default
    qbo-sync seed-demo               add the demo CMMS data (idempotent; items and transactions once
                                     the chart of accounts and tax codes are pulled)
    qbo-sync demo-payment            record the demo's partial payment in the local sandbox company
    qbo-sync local-redirect --port N the local connection's redirect URL follows Airflow's port
    qbo-sync report                  the latest sync run per entity, open conflicts, record errors
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Handler = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    handler: Handler
    configure: Configure | None = None


COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, configure: Configure | None = None) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the subcommand ``name``."""

    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise ValueError(f"qbo-sync subcommand {name!r} is registered twice")
        COMMANDS[name] = Command(name, help, handler, configure)
        return handler

    return register


def add_url_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        help="SQLAlchemy URL of the CMMS database (default: the Airflow connection cmms_db, "
        "e.g. from AIRFLOW_CONN_CMMS_DB)",
    )


def _resolve_url(args: argparse.Namespace) -> str:
    from qbo_sync.db.engine import cmms_url

    args.resolved_url = args.url or cmms_url()
    return args.resolved_url


@command("migrate", "apply pending migrations to the CMMS database", add_url_argument)
def run_migrate(args: argparse.Namespace) -> int:
    from qbo_sync.db.engine import create_engine, redact
    from qbo_sync.db.migrate import current_revision, head_revision, upgrade

    url = _resolve_url(args)
    upgrade(url)
    engine = create_engine(url)
    try:
        now = current_revision(engine)
    finally:
        engine.dispose()
    print(f"CMMS database {redact(url)} is at revision {now} (expected {head_revision()}): up to date")
    return 0


@command("check-db", "check that the CMMS database is migrated (exit 1 if not)", add_url_argument)
def run_check_db(args: argparse.Namespace) -> int:
    from qbo_sync.db.engine import create_engine, redact
    from qbo_sync.db.migrate import assert_migrated, head_revision

    url = _resolve_url(args)
    engine = create_engine(url)
    try:
        assert_migrated(engine)
    finally:
        engine.dispose()
    print(f"CMMS database {redact(url)} is at revision {head_revision()}: OK")
    return 0


@command("connect", "connect the QuickBooks company (OAuth); automatic against the local sandbox")
def run_connect(args: argparse.Namespace) -> int:
    from qbo_sync.connect_flow import approve_locally, begin_connect, complete_connect
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    hook = QuickBooksHook()
    s, oauth = hook.settings, hook.get_oauth_client()
    url = begin_connect(hook.cmms_engine, oauth, s.redirect_uri, realm_hint=s.realm_id)
    if s.environment != "local":
        print(f"Open the Airflow UI page /qbo/connect (or this URL) and approve the app:\n{url}")
        return 0
    answer = approve_locally(url)
    result = complete_connect(
        hook.cmms_engine,
        oauth,
        code=answer.get("code"),
        state=answer.get("state"),
        realm_id=answer.get("realmId"),
    )
    print(f"Connected realm {result.realm_id} ({s.environment}, {s.base_url}); tokens stored encrypted")
    return 0


@command("test-connection", "read CompanyInfo through the quickbooks_default connection")
def run_test_connection(args: argparse.Namespace) -> int:
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    ok, message = QuickBooksHook().test_connection()
    print(message)
    return 0 if ok else 1


@command(
    "seed-demo",
    "add the demo CMMS data (customers, vendors, work orders; items and transactions once the chart "
    "of accounts is pulled); idempotent",
    add_url_argument,
)
def run_seed_demo(args: argparse.Namespace) -> int:
    from qbo_sync.db.engine import create_engine
    from qbo_sync.demo import seed_demo
    from qbo_sync.demo.guard import quickbooks_problem, refusal
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    s = QuickBooksHook().settings
    problem = quickbooks_problem(s.conn_id, s.environment, s.base_url, None)
    if problem:
        print(f"qbo-sync seed-demo: {refusal([problem])}", file=sys.stderr)
        return 1
    engine = create_engine(_resolve_url(args))
    try:
        result = seed_demo(engine, existing_qbo_customer="Mission Logistics Center")
    finally:
        engine.dispose()
    print(result.describe())
    return 1 if result.problems else 0


@command("demo-payment", "record the demo's partial payment in the local sandbox company (once)")
def run_demo_payment(args: argparse.Namespace) -> int:
    from qbo_sync.demo.guard import quickbooks_problem, refusal
    from qbo_sync.demo.payment import record_demo_payment
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    hook = QuickBooksHook()
    s = hook.settings
    problem = quickbooks_problem(s.conn_id, s.environment, s.base_url, None)
    if problem:
        print(f"qbo-sync demo-payment: {refusal([problem])}", file=sys.stderr)
        return 1
    print(record_demo_payment(hook.get_conn(), hook.cmms_engine, s.require_realm()).describe())
    return 0


def add_guard_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sandbox-port", type=int, required=True, help="the demo's sandbox server port")
    parser.add_argument("--cmms-uri", required=True, help="the demo's CMMS database URL")


@command(
    "demo-guard",
    "stop unless quickbooks_default is the local sandbox and cmms_db the demo's CMMS (make run)",
    add_guard_arguments,
)
def run_demo_guard(args: argparse.Namespace) -> int:
    from qbo_sync.db.engine import cmms_url
    from qbo_sync.demo.guard import cmms_problem, quickbooks_problem, refusal
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    s = QuickBooksHook().settings
    problems = [
        p
        for p in (
            quickbooks_problem(s.conn_id, s.environment, s.base_url, args.sandbox_port),
            cmms_problem("cmms_db", cmms_url("cmms_db"), args.cmms_uri),
        )
        if p
    ]
    if problems:
        print(f"qbo-sync demo-guard: {refusal(problems)}", file=sys.stderr)
        return 1
    print("the connections are the demo's: the local sandbox server and the demo CMMS")
    return 0


def add_port_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, required=True, help="the port Airflow's API server serves on")
    parser.add_argument("--conn-id", default="quickbooks_default", help="the QuickBooks connection")


@command(
    "local-redirect",
    "point the local sandbox connection's redirect URL at the port Airflow serves on",
    add_port_argument,
)
def run_local_redirect(args: argparse.Namespace) -> int:
    from qbo_sync.demo.redirect import point_connection_at_port

    print(point_connection_at_port(args.conn_id, args.port))
    return 0


@command("report", "the latest sync run per entity, open conflicts and record errors", add_url_argument)
def run_report(args: argparse.Namespace) -> int:
    from qbo_sync.db.engine import create_engine
    from qbo_sync.report import sync_report

    engine = create_engine(_resolve_url(args))
    try:
        print(sync_report(engine))
    finally:
        engine.dispose()
    return 0


def add_payments_arguments(parser: argparse.ArgumentParser) -> None:
    add_url_argument(parser)
    parser.add_argument("--limit", type=int, default=50, help="the latest N payments and batches (50)")


@command(
    "payments", "the payment log and the latest payment batches (quarantine reports)", add_payments_arguments
)
def run_payments(args: argparse.Namespace) -> int:
    from qbo_sync.db.engine import create_engine
    from qbo_sync.payments.log import payment_log, recent_batches

    engine = create_engine(_resolve_url(args))
    try:
        print(payment_log(engine, args.limit))
        print()
        print(recent_batches(engine, args.limit))
    finally:
        engine.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qbo-sync", description="QuickBooks Online ⇄ CMMS sync tools")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in COMMANDS.values():
        sub = subparsers.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        if cmd.configure is not None:
            cmd.configure(sub)
    return parser


def _readable_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import OperationalError

    from qbo_sync.connect_flow import ConnectError
    from qbo_sync.db.engine import CMMSConnectionError
    from qbo_sync.db.migrate import DatabaseNotMigrated
    from qbo_sync.demo.payment import DemoPaymentError
    from qbo_sync.qbo.errors import QBOError
    from qbo_sync.settings import ConnectionConfigError

    return (
        CMMSConnectionError,
        DatabaseNotMigrated,
        OperationalError,
        ConnectError,
        ConnectionConfigError,
        DemoPaymentError,
        QBOError,
    )


def main(argv: Sequence[str] | None = None) -> int:
    # An administrator's command, like `airflow` itself: connections may live in Airflow's
    # metadata database (Admin -> Connections), which Airflow consults only in a server context.
    os.environ.setdefault("_AIRFLOW_PROCESS_CONTEXT", "server")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    try:
        return COMMANDS[args.command].handler(args)
    except _readable_errors() as exc:
        print(f"qbo-sync {args.command}: {_describe(exc, args)}", file=sys.stderr)
        return 1


def _describe(exc: BaseException, args: argparse.Namespace) -> str:
    """One readable line; a driver error shows the database (no password) but no SQL or parameters."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return str(exc)
    from qbo_sync.db.engine import redact

    where = getattr(args, "resolved_url", None)
    target = f" {redact(where)}" if where else ""
    return f"cannot use the CMMS database{target}: {' '.join(str(orig).split())}"


if __name__ == "__main__":
    sys.exit(main())
