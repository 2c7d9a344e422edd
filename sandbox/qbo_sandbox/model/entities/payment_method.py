"""PaymentMethod: the name list of the ways a customer pays (Cash, Check, cards), referenced by a
Payment's (or SalesReceipt's, Customer's) ``PaymentMethodRef``.

Intuit's entity reference (REF-paymentmethod,
https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/paymentmethod):
``Name`` required, unique among payment methods, at most 31 characters; ``Type`` ``CREDIT_CARD``
or ``NON_CREDIT_CARD``; ``Active`` (inactive methods may not be used on transactions); no delete,
deactivate with ``Active: false``. Its read sample answers ``{"Name": "Diners Club", "Type":
"CREDIT_CARD", "Id": "7", "Active": true, ...}`` (reproduced in third-party copies of the page;
the ``docs`` search corpus holds those, not Intuit's page itself). A new QuickBooks Online company
comes with :data:`DEFAULTS` in that order (Ids 1 to 7: Cash, Check, then the cards, Diners Club
the 7th as in the sample); the seed creates them. The sandbox also assumes ``Type`` defaults to
``NON_CREDIT_CARD`` when not sent (UNCONFIRMED).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qbo_sandbox.model.entities.common import check_enum, check_lengths, require

if TYPE_CHECKING:
    from qbo_sandbox.model.entities.books import Books

TYPES = ("CREDIT_CARD", "NON_CREDIT_CARD")
DEFAULTS: tuple[dict[str, str], ...] = (
    {"Name": "Cash", "Type": "NON_CREDIT_CARD"},
    {"Name": "Check", "Type": "NON_CREDIT_CARD"},
    {"Name": "Visa", "Type": "CREDIT_CARD"},
    {"Name": "MasterCard", "Type": "CREDIT_CARD"},
    {"Name": "Discover", "Type": "CREDIT_CARD"},
    {"Name": "American Express", "Type": "CREDIT_CARD"},
    {"Name": "Diners Club", "Type": "CREDIT_CARD"},
)


def prepare_payment_method(co: Books, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """Name (31 chars, unique: checked by the name index), Type, Active."""
    require(obj, "Name", "PaymentMethod")
    check_lengths(obj, {"Name": 31})
    obj["Name"] = str(obj["Name"]).strip()
    obj["Type"] = check_enum(obj.get("Type") or "NON_CREDIT_CARD", TYPES, "Type")
    obj["Active"] = obj.get("Active") is not False
    return obj
