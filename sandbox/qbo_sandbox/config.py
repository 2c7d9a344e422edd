"""Configuration of the sandbox server (the QBO stand-in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qbo_sandbox.model.seed import SeedSpec

# The sandbox's one registered app. Documented, non-secret demo credentials: they only ever unlock
# this local stand-in, never a real QuickBooks company.
DEMO_CLIENT_ID = "sandbox-demo-client"
DEMO_CLIENT_SECRET = "sandbox-demo-secret"
DEFAULT_REALM_ID = "9341453050071234"
DEFAULT_REDIRECT_URIS: tuple[str, ...] = (
    "http://localhost:8080/qbo/oauth/callback",
    "http://127.0.0.1:8080/qbo/oauth/callback",
)


def _demo_seed() -> SeedSpec:
    from qbo_sandbox.model.seed import SeedSpec

    return SeedSpec.demo()


@dataclass
class SandboxConfig:
    """Everything a :class:`~qbo_sandbox.http.server.SandboxServer` needs.

    ``port=0`` picks a free ephemeral port (read it back from ``server.url``). Throttling at QBO's
    limits is off by default. ``timeout_sleep_s`` is how long a scripted ``timeout_after_commit``
    fault holds the connection before closing it unanswered (cut short when the server stops).
    ``item_income_account_rule`` and ``replay_faults`` choose between readings of UNCONFIRMED QBO
    behaviour (see the field comments).
    """

    host: str = "127.0.0.1"
    port: int = 8765
    realm_id: str = DEFAULT_REALM_ID
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = field(default=DEMO_CLIENT_SECRET, repr=False)
    redirect_uris: tuple[str, ...] = DEFAULT_REDIRECT_URIS
    throttle: bool = False
    latency_ms: int = 0
    seed: SeedSpec = field(default_factory=_demo_seed)
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 8726400
    code_ttl: int = 600
    timeout_sleep_s: float = 30.0
    qbo_version: str = "1944.190"
    # When Service/NonInventory items need IncomeAccountRef: "strict" (always; the default),
    # "when_priced" (UnitPrice set and non-zero) or "off" (never). QBO's exact rule is UNCONFIRMED.
    item_income_account_rule: str = "strict"
    # Replay the faulted items of an HTTP 200 batch for a repeated requestid (True, the harsher
    # reading) or re-execute them (False). Whether QBO replays faults is UNCONFIRMED (qbo-api.md §1).
    replay_faults: bool = True
    # --- the money half (issue 7); each is a company preference or an UNCONFIRMED reading, see
    # qbo_sandbox.model.info.CompanyOptions ---
    # US Automated Sales Tax: QBO computes tax itself and overrides TxnTaxCodeRef (off: sandbox
    # companies do not run AST, D-ust).
    automated_sales_tax: bool = False
    # Refuse a duplicate DocNumber (6140) unless the request says include=allowduplicatedocnum.
    warn_duplicate_doc_num: bool = True
    # SalesFormsPrefs.CustomTxnNumbers (off: the sandbox numbers sales forms sent without one).
    custom_txn_numbers: bool = False
    # A voided Payment/BillPayment: "removed" (no lines, zero amounts) or "zeroed" (lines kept at 0).
    voided_payment_lines: str = "removed"
    # AccountingInfoPrefs.BookCloseDate (yyyy-MM-dd) or None.
    book_close_date: str | None = None
    # Body of the 429s real throttling answers: XML (QBO often answers XML even when JSON was asked,
    # qbo-api.md §6; routablehq/python-quickbooks#43, ruckus/quickbooks-ruby#348) or, False, JSON
    # unless the request's Accept asks for XML. Scripted 429 faults keep their own ``xml`` flag.
    throttle_xml: bool = True
    # Seconds a superseded refresh token still refreshes: 0 = strict (the default), e.g. 86400 =
    # the 24 h older Intuit docs described. Intuit's current grace window is UNCONFIRMED (§8).
    refresh_grace_s: float = 0.0
