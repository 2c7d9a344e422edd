"""The ``qbo-sync`` command line.

Subcommands live in a small registry: decorate a handler with :func:`command` (name, help, and a
function that adds its arguments) and it appears in ``qbo-sync --help``. A handler takes the parsed
arguments and returns the exit status. Errors a person can act on (a missing connection, an
unmigrated database, a database that cannot be reached) print one readable line and exit 1.

    qbo-sync migrate [--url URL]     apply pending migrations to the CMMS database
    qbo-sync check-db [--url URL]    exit 0 when the CMMS database is migrated, else say what to run
"""

from __future__ import annotations

import argparse
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

    from qbo_sync.db.engine import CMMSConnectionError
    from qbo_sync.db.migrate import DatabaseNotMigrated

    return (CMMSConnectionError, DatabaseNotMigrated, OperationalError)


def main(argv: Sequence[str] | None = None) -> int:
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
