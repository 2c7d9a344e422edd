"""Adopting tables the CMMS application already owns, and undoing only what was added.

The CMMS application creates its own tables (cmms-contract.md); in production they exist before
qbo-sync is installed, usually without the sync columns and triggers. A revision that brings
contract tables therefore *adopts* them: :meth:`Adoption.ensure_table` creates a missing table
whole, and on an existing table adds only what is missing, never renaming, dropping or changing
an existing column (the contract: add freely, never rename or repurpose):

- the missing columns (a missing column that is NOT NULL without a server default is added as
  nullable, since existing rows have no value for it);
- the CHECK, UNIQUE and FOREIGN KEY constraints that involve only added columns, plus the unique
  constraint on ``qb_id`` when the table has no unique constraint or unique index on it yet (it
  fails loudly when existing rows repeat a ``qb_id``);
- the named indexes of the revision that the table does not have;
- the ``updated_at`` trigger, when a trigger of that name is missing.

A primary key is never added to an existing table. Every object added is written to
:data:`LEDGER` (``qbo_sync_adopted_objects``), and :func:`undo` removes exactly those objects,
newest first, so a downgrade leaves the CMMS application's own tables, columns and rows alone.

On SQLite (a laptop database, normally fresh) Alembic's batch mode may recreate an adopted table
to add a column with a non-constant default or a constraint; SQLite drops a table's triggers with
it, so triggers the CMMS application had on such a table are lost there. PostgreSQL alters in place.
Offline (``--sql``) rendering cannot inspect a database and renders the fresh-database script.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import context, op

from qbo_sync.db.migrations import _ddl

LEDGER = "qbo_sync_adopted_objects"
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.text("CURRENT_TIMESTAMP")
KINDS = ("table", "column", "constraint", "index", "trigger")

_ledger = sa.table(
    LEDGER,
    sa.column("kind", sa.Text()),
    sa.column("table_name", sa.Text()),
    sa.column("object_name", sa.Text()),
    sa.column("detail", sa.Text()),
)


def create_ledger() -> None:
    """Create the table that records what qbo-sync added to the CMMS database."""
    op.create_table(
        LEDGER,
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("object_name", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True, comment="constraint type"),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "kind IN ('table', 'column', 'constraint', 'index', 'trigger')",
            name=op.f(f"ck_{LEDGER}_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{LEDGER}")),
    )


def _first_word(sqltext: object) -> str:
    match = re.match(r"\s*(\w+)", str(sqltext))
    return match.group(1) if match else ""


def _constraint_type(constraint: sa.Constraint) -> str:
    if isinstance(constraint, sa.UniqueConstraint):
        return "unique"
    if isinstance(constraint, sa.ForeignKeyConstraint):
        return "foreignkey"
    return "check"


class Adoption:
    """Create or adopt the tables of one revision, recording everything it adds."""

    def __init__(self) -> None:
        self.offline = context.is_offline_mode()
        self.existing = set() if self.offline else set(self._inspect().get_table_names())
        self.created: set[str] = set()
        self.records: list[dict[str, str | None]] = []

    @staticmethod
    def _inspect() -> sa.Inspector:
        return sa.inspect(op.get_bind())

    def _record(self, kind: str, table: str, name: object, detail: str | None = None) -> None:
        self.records.append({"kind": kind, "table_name": table, "object_name": str(name), "detail": detail})

    def ensure_table(self, name: str, items: list[sa.SchemaItem], twin: list[sa.SchemaItem]) -> None:
        """Create ``name`` from ``items``, or adopt it (``twin``: an identical, unused item list)."""
        if name not in self.existing:
            op.create_table(name, *items)
            self.created.add(name)
            self._record("table", name, name)
            return
        self._adopt(name, sa.Table(name, sa.MetaData(), *twin), items)

    def _adopt(self, name: str, model: sa.Table, items: list[sa.SchemaItem]) -> None:
        insp = self._inspect()
        have = {c["name"] for c in insp.get_columns(name)}
        added = {c.name for c in model.columns} - have
        unique_sets = {tuple(u["column_names"]) for u in insp.get_unique_constraints(name)}
        unique_sets |= {tuple(i["column_names"]) for i in insp.get_indexes(name) if i["unique"]}
        columns = [i for i in items if isinstance(i, sa.Column) and i.name in added]
        constraints = [
            c
            for c in model.constraints
            if not isinstance(c, sa.PrimaryKeyConstraint) and self._wanted(c, added, unique_sets)
        ]
        if not columns and not constraints:
            return
        with op.batch_alter_table(name, recreate="auto") as batch:
            for column in columns:
                if not column.nullable and column.server_default is None:
                    column.nullable = True  # existing rows have no value for it
                batch.add_column(column)
                self._record("column", name, column.name)
            for constraint in constraints:
                self._add_constraint(batch, name, constraint)

    @staticmethod
    def _wanted(constraint: sa.Constraint, added: set[str], unique_sets: set[tuple[str, ...]]) -> bool:
        if isinstance(constraint, sa.CheckConstraint):
            return _first_word(constraint.sqltext) in added
        cols = tuple(constraint.columns.keys())
        if isinstance(constraint, sa.UniqueConstraint):
            return cols not in unique_sets and (set(cols) <= added or cols == ("qb_id",))
        return set(cols) <= added

    def _add_constraint(self, batch: object, table: str, constraint: sa.Constraint) -> None:
        name = str(constraint.name)
        cols = list(constraint.columns.keys())
        if isinstance(constraint, sa.UniqueConstraint):
            batch.create_unique_constraint(name, cols)  # type: ignore[attr-defined]
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            batch.create_foreign_key(  # type: ignore[attr-defined]
                name,
                constraint.elements[0].target_fullname.split(".")[0],
                cols,
                [e.target_fullname.split(".")[1] for e in constraint.elements],
                ondelete=constraint.ondelete,
            )
        else:
            batch.create_check_constraint(name, str(constraint.sqltext))  # type: ignore[attr-defined]
        self._record("constraint", table, name, _constraint_type(constraint))

    def ensure_index(self, name: str, table: str, columns: list[str]) -> None:
        """Create a (non-unique) index; on an adopted table only when no index has that name."""
        adopted = table not in self.created and not self.offline
        if adopted and str(name) in {i["name"] for i in self._inspect().get_indexes(table)}:
            return
        op.create_index(name, table, columns, unique=False)
        if table not in self.created:
            self._record("index", table, name)

    def ensure_trigger(self, table: str) -> None:
        """Install the ``updated_at`` trigger of ``table`` unless a trigger of that name exists."""
        if table not in self.created and not self.offline and _trigger_exists(table):
            return
        _ddl.add_updated_at_trigger(table)
        self._record("trigger", table, _ddl.trigger_name(table))

    def is_new(self, table: str) -> bool:
        return table in self.created or self.offline

    def save(self) -> None:
        """Write what was added to the ledger (in order, so :func:`undo` can go backwards)."""
        if self.records:
            op.bulk_insert(_ledger, self.records)


def _trigger_exists(table: str) -> bool:
    bind = op.get_bind()
    name = _ddl.trigger_name(table)
    if bind.dialect.name == "postgresql":
        sql = "SELECT count(*) FROM pg_trigger WHERE tgname = :n AND tgrelid = to_regclass(:t)"
        found = bind.execute(sa.text(sql), {"n": name, "t": table}).scalar()
    else:
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = :n AND tbl_name = :t"
        found = bind.execute(sa.text(sql), {"n": name, "t": table}).scalar()
    return bool(found)


def undo() -> None:
    """Remove exactly what the ledger says was added (newest first), then the ledger itself."""
    if context.is_offline_mode():
        raise NotImplementedError("downgrading this revision reads qbo_sync_adopted_objects: run it online")
    stmt = sa.text(f"SELECT kind, table_name, object_name, detail FROM {LEDGER} ORDER BY id DESC")
    for kind, table, name, detail in op.get_bind().execute(stmt).all():
        if kind == "table":
            op.drop_table(table)
        elif kind == "trigger":
            _ddl.drop_updated_at_trigger(table)
        elif kind == "index":
            op.drop_index(name, table_name=table)
        else:
            with op.batch_alter_table(table, recreate="auto") as batch:
                if kind == "column":
                    batch.drop_column(name)
                else:
                    batch.drop_constraint(name, type_=detail)
    op.drop_table(LEDGER)
