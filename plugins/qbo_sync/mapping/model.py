"""Typed model of a mapping file (``include/mappings/<entity>.yaml``).

Pydantic checks the shape (keys, types, allowed words); ``loader`` then checks the meaning
(columns against the CMMS contract, transform names, QBO paths) and fills defaults, so a
``Mapping`` returned by the loader has every field's ``transform`` set.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

Direction = Literal["pull", "push", "both"]
Owner = Literal["qbo", "cmms", "conflict"]
Normalize = Literal["casefold_strip", "strip", "exact"]

# ``{column: [allowed values]}``; a scalar in YAML means a one-element list. All must hold.
Condition = dict[str, list[Any]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v if isinstance(v, list) else [v] for k, v in value.items()}
    return value


def condition_holds(condition: Condition | None, row: dict[str, Any]) -> bool:
    """True when every column of ``condition`` has one of its allowed values in ``row``."""
    if not condition:
        return True
    return all(row.get(column) in allowed for column, allowed in condition.items())


class KeyPart(_Strict):
    """One part of a natural key used to link records the first time."""

    cmms: str
    qbo: str
    normalize: Normalize = "casefold_strip"
    optional: bool = False  # compared only when both sides have a value


class AccountCheck(_Strict):
    """Pre-send rule for a reference to ``accounts``; the first rule whose ``when`` holds applies."""

    need: str  # e.g. "inventory items need an Inventory Asset account (Other Current Asset)"
    when: Condition | None = None
    required: bool = False
    account_types: list[str] = []
    account_sub_types: list[str] = []

    _when = field_validator("when", mode="before")(_listify)


class _Mapped(_Strict):
    """What fields and references have in common."""

    column: str
    qbo: str
    owner: Owner | None = None  # None: the mapping's default_owner
    pull_only: bool = False
    push_only: bool = False
    create_only: bool = False  # sent on create only; afterwards QuickBooks is the truth
    push_when: Condition | None = None  # sent only for rows matching this condition
    label: str | None = None  # human name in messages (default: column with spaces)
    required: bool = False
    required_when: Condition | None = None

    _conditions = field_validator("push_when", "required_when", mode="before")(_listify)

    @property
    def human(self) -> str:
        return self.label or self.column.replace("_", " ")


class FieldMap(_Mapped):
    """A plain value: CMMS column ⇄ dotted QBO path through a named transform."""

    transform: str | None = None
    max_length: int | None = None
    choices: list[Any] | None = None
    validators: list[str] = []  # named validators from ``validate.NAMED_VALIDATORS``


class Reference(_Mapped):
    """A reference column resolved through ``<table>.qb_id`` ⇄ ``<table>.id``."""

    table: str
    account_checks: list[AccountCheck] = []


class PushConstant(_Strict):
    """A fixed value sent to QuickBooks (e.g. ``TrackQtyOnHand: true`` for inventory items)."""

    qbo: str
    value: Any
    when: Condition | None = None

    _when = field_validator("when", mode="before")(_listify)


class LineKind(_Strict):
    """One kind of transaction line (an item line, an account line); the first kind whose ``when``
    holds for a line row maps it. ``fields``/``references`` are paths inside one ``Line`` object."""

    detail_type: str  # e.g. SalesItemLineDetail
    when: Condition | None = None
    fields: list[FieldMap] = []
    references: list[Reference] = []

    _when = field_validator("when", mode="before")(_listify)


class LineMap(_Strict):
    """The line rows of a transaction (``invoice_lines`` of ``invoices``) and how they become ``Line``."""

    table: str
    parent: str  # column of ``table`` holding the transaction's id
    order_by: str = "line_no"
    amount: str = "amount"
    quantity: str | None = None  # with ``price``: amount must equal quantity x price to the cent
    price: str | None = None
    kinds: list[LineKind]


class RelatedValue(_Strict):
    """A value of a referenced record sent with the transaction (the customer's e-mail as BillEmail)."""

    qbo: str
    via: str  # reference column of the transaction's table
    table: str
    column: str


class Transaction(_Strict):
    """What a pushed transaction needs beyond plain fields (see ``include/mappings/README.md``)."""

    doc_number: str | None = None  # column sent as DocNumber (QuickBooks' filterable natural key)
    doc_number_default: str  # DocNumber when that column is empty, e.g. "CMMS-INV-{id}"
    private_note: str  # the CMMS key for people, e.g. "CMMS invoice {id}" (never used for lookups)
    note_column: str | None = None  # appended to PrivateNote (a bill's memo)
    party: str | None = None  # reference column matched on lookups (customer_id / vendor_id)
    void_when: Condition | None = None
    total: str | None = None  # CMMS column compared with QuickBooks' TotalAmt
    store: dict[str, str] = {}  # integration column <- QuickBooks path, after every write
    fill: dict[str, str] = {}  # column <- QuickBooks path, only when the CMMS left it empty
    related: list[RelatedValue] = []
    extra_references: list[Reference] = []  # references held in integration-added columns
    discount: str | None = None  # column holding an invoice-level discount amount
    tax: str | None = None  # named tax transform (``us_sales_tax``)
    build: str | None = None  # named transform building the lines (``expense_journal_entry``)
    lines: LineMap | None = None

    _void = field_validator("void_when", mode="before")(_listify)


class Mapping(_Strict):
    """One synced entity: CMMS table ⇄ QBO entity."""

    entity: str
    cmms_table: str
    qbo_entity: str
    label: str  # what a bookkeeper calls one record, e.g. "Item"
    title_column: str  # column that names a record in messages, e.g. "name"
    direction: Direction
    pull_inactive: bool = True
    default_owner: Owner = "qbo"
    natural_key: list[KeyPart] = []
    fields: list[FieldMap]
    references: list[Reference] = []
    readonly_qbo: list[str] = []
    push_constants: list[PushConstant] = []
    transaction: Transaction | None = None  # pushed transactions only
    source: str = ""  # file name, set by the loader

    @field_validator("natural_key", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, dict) else value

    @property
    def mapped(self) -> list[FieldMap | Reference]:
        """Fields and references, in file order (fields first)."""
        return [*self.fields, *self.references]

    def by_column(self) -> dict[str, FieldMap | Reference]:
        return {item.column: item for item in self.mapped}

    def pulls(self, item: FieldMap | Reference) -> bool:
        """True when QuickBooks values of ``item`` are written into the CMMS."""
        return self.direction != "push" and not item.push_only

    def pushes(self, item: FieldMap | Reference) -> bool:
        """True when CMMS values of ``item`` are sent to QuickBooks (at least on create)."""
        return self.direction != "pull" and not item.pull_only

    def owner_of(self, item: FieldMap | Reference) -> Owner:
        return item.owner or self.default_owner

    def describe(self, row: dict[str, Any]) -> str:
        """How messages name one record: ``Item 'Hex Bolt M8'`` or ``Item #12``."""
        title = row.get(self.title_column)
        if isinstance(title, str) and title.strip():
            return f"{self.label} '{title.strip()}'"
        if row.get("id") is not None:
            return f"{self.label} #{row['id']}"
        if row.get("qb_id") is not None:
            return f"{self.label} (QuickBooks Id {row['qb_id']})"
        return f"{self.label} (new)"
