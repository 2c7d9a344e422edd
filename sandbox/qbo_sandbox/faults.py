"""QBO fault vocabulary for the sandbox.

Every rejection the model layer makes is a :class:`QBOFault`; the server renders ``.body()`` and adds
the envelope's ``time``. Wording follows recorded QBO traffic (``/work/shared/qbo-fixtures``) and the
error-code table in ``qbo-api.md`` §6:

- ``{"Fault":{"Error":[{"Message","Detail","code","element"}],"type":"ValidationFault"}}``: normal
  faults (string ``code``; ``element`` present, usually ``""``; absent where the recordings show
  none: 6240, 4001, 2010). Several problems in one request are several ``Error[]`` entries
  (:meth:`QBOFault.several`).
- the gateway's lower-case ``fault`` body for 401 (3200) / 403 (3100): :func:`gateway_auth_body`.
- the 429 ThrottleExceeded fault (3001) as JSON or XML: :func:`throttle_body`, :func:`throttle_xml`.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

INACTIVE_DETAIL = (
    "Object Not Found : Something you're trying to use has been made inactive. "
    "Check the fields with accounts, customers, items, vendors or employees."
)
DUPLICATE_NAME_DETAIL = (
    "The name supplied already exists. : Another customer, vendor or employee is already using this "
    "name. Please use a different name."
)


class QBOFault(Exception):
    """A QBO error response: HTTP status plus one ``Fault.Error`` entry."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        detail: str,
        element: str = "",
        fault_type: str = "ValidationFault",
        *,
        include_element: bool = True,
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.status = status
        self.code = str(code)
        self.message = message
        self.detail = detail
        self.element = element
        self.fault_type = fault_type
        self.include_element = include_element
        self.more: list[QBOFault] = []
        self.hint = element  # the property at fault, for people reading the sandbox's own errors

    @classmethod
    def several(cls, found: list[QBOFault]) -> QBOFault:
        """One fault answering with every problem found, one ``Error[]`` entry each (as QBO does);
        status, code and type are the first one's."""
        first = found[0]
        first.more = [*first.more, *found[1:]]
        return first

    def errors(self) -> list[dict[str, Any]]:
        """Every ``Fault.Error`` item (this one, then any combined with it)."""
        return [self.error(), *(item for other in self.more for item in other.errors())]

    def error(self) -> dict[str, Any]:
        """The single ``Fault.Error`` item."""
        item: dict[str, Any] = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.include_element:
            item["element"] = self.element
        return item

    def body(self) -> dict[str, Any]:
        """``{"Fault": {...}}`` without ``time`` (the server adds it)."""
        return {"Fault": {"Error": self.errors(), "type": self.fault_type}}

    def __repr__(self) -> str:
        return f"QBOFault(status={self.status}, code={self.code!r}, detail={self.detail!r})"


# --- general (600-1999) -------------------------------------------------------------------------


def not_found(entity: str, obj_id: str) -> QBOFault:
    """610: the object with this Id does not exist (or was deleted)."""
    detail = (
        f"Object Not Found : Another user has deleted this transaction. ({entity} Id {obj_id} was not found)"
    )
    return QBOFault(400, "610", "Object Not Found", detail)


def inactive_reference(element: str = "") -> QBOFault:
    """610: a referenced name-list object is inactive."""
    return QBOFault(400, "610", "Object Not Found", INACTIVE_DETAIL, element)


def unsupported_operation(detail: str) -> QBOFault:
    """500-range: operation not supported for the entity (e.g. delete on a name list)."""
    return QBOFault(400, "500", "Unsupported Operation", f"Operation {detail} is not supported.")


def invalid_id(value: str) -> QBOFault:
    """2030 Invalid ID: a non-numeric Id in a read path (``/customer/1.5``, ``/invoice/abc``).

    Wording per issue 7 (the audit's QBO answer); the Intuit error-code page lists 2030 "Invalid ID".
    """
    return QBOFault(400, "2030", "Invalid ID", f"Id should be a valid number. Supplied value:{value}", "Id")


# --- validation (2000-4999) ---------------------------------------------------------------------


def required_param(name: str, entity: str = "") -> QBOFault:
    """2020 Required Param Missing."""
    where = f" for {entity}" if entity else ""
    detail = f"Required parameter {name} is missing in the request{where}"
    return QBOFault(
        400, "2020", "Required param missing, need to supply the required value for the API", detail, name
    )


def string_too_long(field: str, max_len: int, supplied: int) -> QBOFault:
    """2050 String length outside the supported range."""
    detail = (
        f"String length specified does not match the supported length. Min:0 Max:{max_len:,} "
        f"supplied length:{supplied:,}"
    )
    return QBOFault(
        400,
        "2050",
        "String length is either shorter or longer than supported by specification",
        detail,
        field,
    )


def invalid_enum(field: str, value: object) -> QBOFault:
    """2170 Invalid Enumeration."""
    return QBOFault(400, "2170", "Invalid Enumeration", f"Invalid Enumeration : {value} for {field}", field)


def invalid_reference(element: str, ref_id: object, entity: str = "") -> QBOFault:
    """2500 Invalid Reference Id."""
    what = entity or element
    detail = f"Invalid Reference Id : {what} element id {ref_id} not found"
    return QBOFault(400, "2500", "Invalid Reference Id", detail, element)


def unknown_property(name: str, java_class: str) -> QBOFault:
    """2010 for a property QBO's JSON binding does not know (see :mod:`qbo_sandbox.model.entities.schema`).

    QBO's Detail is its binder's message; the tail after "not marked as ignorable" (QBO appends the
    class's known properties) is abbreviated here. No ``element`` (UNCONFIRMED: QBO sends none or "").
    """
    detail = (
        f'Property Name:Unrecognized field "{name}" (class {java_class}), not marked as ignorable '
        "specified is unsupported or invalid"
    )
    return QBOFault(400, "2010", "Request has invalid or unsupported property", detail, include_element=False)


def invalid_value(field: str, detail: str) -> QBOFault:
    """2010 Request has invalid or unsupported property / value."""
    return QBOFault(400, "2010", "Request has invalid or unsupported property", detail, field)


def query_parse_error(detail: str) -> QBOFault:
    """4000 Error parsing query."""
    return QBOFault(400, "4000", "Error parsing query", f"QueryParserError: {detail}", include_element=False)


def not_filterable(prop: str) -> QBOFault:
    """4001 for a WHERE/ORDERBY on a real property QBO does not let you filter on (qbo-api.md §1)."""
    return query_error(f"property '{prop}' is not queryable")


def query_error(detail: str) -> QBOFault:
    """4001 Invalid query (``QueryValidationError: ...``), shaped as recorded in error__400.json."""
    return QBOFault(400, "4001", "Invalid query", f"QueryValidationError: {detail}", include_element=False)


def unknown_entity(name: str) -> QBOFault:
    """4001 for ``FROM <unknown>`` (exact recorded wording)."""
    return query_error(f"invalid context declaration: {name}")


def max_results_error(value: int) -> QBOFault:
    """400 QueryValidationError for MAXRESULTS above 1000."""
    return query_error(f"value {value} is too large. Max allowed value is 1000")


# --- specific (5000-9999) -----------------------------------------------------------------------


def stale_object(user: str = "Sandbox User") -> QBOFault:
    """5010 Stale Object Error (wording as recorded in batch__basic.json)."""
    detail = (
        f"Stale Object Error : You and {user} were working on this at the same time. "
        f"{user} finished before you did, so your work was not saved."
    )
    return QBOFault(400, "5010", "Stale Object Error", detail)


def business_validation(detail: str, element: str = "") -> QBOFault:
    """6000 business validation error; ``detail`` says what is wrong.

    QBO's business-validation faults carry ``"element": ""`` (recorded 610/5010 items in
    batch__basic.json have it empty); ``element`` is kept on the object for callers, not sent.
    """
    message = "A business validation error has occurred while processing your request"
    fault = QBOFault(400, "6000", message, f"Business Validation Error: {detail}")
    fault.hint = element
    return fault


def amount_mismatch(line_no: int, amount: object, expected: object) -> QBOFault:
    """6070: line Amount is not Qty * UnitPrice."""
    detail = (
        f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount} on line {line_no}, "
        f"expected {expected}"
    )
    return QBOFault(400, "6070", "Amount calculation incorrect", detail, "Line.Amount")


def duplicate_document(doc_number: str, txn_type: str, txn_id: str) -> QBOFault:
    """6140 Duplicate Document Number (D-commonerr; wording per issue 7's QBO answer)."""
    detail = (
        "Duplicate Document Number Error : You must specify a different number. This number has "
        f"already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} with TxnId={txn_id}"
    )
    return QBOFault(400, "6140", "Duplicate Document Number Error", detail, include_element=False)


def period_closed(close_date: str) -> QBOFault:
    """6210 Account Period Closed: a transaction dated on or before the books' closing date
    (``Preferences.AccountingInfoPrefs.BookCloseDate``; D-commonerr, B-toperr). Detail UNCONFIRMED."""
    detail = (
        "Account Period Closed, Cannot update transactions dated on or before the closing date "
        f"{close_date}. Change the transaction date or ask the company to reopen the period."
    )
    return QBOFault(400, "6210", "Account Period Closed", detail)


def duplicate_name(kind: str = "customer, vendor or employee") -> QBOFault:
    """6240 Duplicate Name Exists (DisplayName clash across Customer/Vendor/Employee, item names)."""
    if kind == "customer, vendor or employee":
        detail = DUPLICATE_NAME_DETAIL
    else:
        detail = (
            f"The name supplied already exists. : Another {kind} is already using this name. "
            "Please use a different name."
        )
    return QBOFault(400, "6240", "Duplicate Name Exists Error", detail, include_element=False)


def list_has_balance(entity: str) -> QBOFault:
    """6540-family: cannot make a name-list object with an open balance inactive."""
    detail = (
        f"Business Validation Error: You can't make this {entity.lower()} inactive because it has an "
        "open balance. Please close or delete its open transactions first."
    )
    return QBOFault(400, "6000", "Delete List Has Balance Error", detail)


def cdc_too_old(changed_since: str) -> QBOFault:
    """CDC changedSince older than 30 days."""
    detail = (
        f"Operation cdc with changedSince date {changed_since} which is older than fixed days "
        "is not supported"
    )
    return QBOFault(
        400, "6000", "A business validation error has occurred while processing your request", detail
    )


# --- gateway / throttle bodies (the server layer uses these) -------------------------------------


def gateway_auth_body(status: int, detail: str, epoch_ms: int) -> dict[str, Any]:
    """Lower-case gateway fault body for 401 (3200) or 403 (3100), as recorded in error/401.yml."""
    if status == 401:
        code, name, ftype = "3200", "AuthenticationFailed", "AUTHENTICATION"
    else:
        code, name, ftype = "3100", "ApplicationAuthorizationFailed", "AUTHORIZATION"
    message = f"message={name}; errorCode=00{code}; statusCode={status}"
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [{"message": message, "detail": detail, "code": code, "element": None}],
            "type": ftype,
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": epoch_ms,
        "status": None,
        "cdcresponse": [],
    }


THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
# Two spaces after the full stop, as QBO sends it (issue 7's audit of real 429 bodies).
THROTTLE_DETAIL = "The request limit was reached.  Try again later"


def throttle_fault() -> QBOFault:
    """429 ThrottleExceeded (3001); ``.body()`` is the JSON form."""
    return QBOFault(
        429, "3001", THROTTLE_MESSAGE, THROTTLE_DETAIL, fault_type="SERVICE", include_element=False
    )


def throttle_body() -> dict[str, Any]:
    """JSON 429 body (without ``time``)."""
    return throttle_fault().body()


def throttle_xml(time_text: str) -> str:
    """XML 429 body as QBO sometimes returns it even when JSON was asked for."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{escape(time_text)}">'
        f'<Fault type="SERVICE"><Error code="3001"><Message>{escape(THROTTLE_MESSAGE)}</Message>'
        f"<Detail>{escape(THROTTLE_DETAIL)}</Detail></Error></Fault></IntuitResponse>"
    )
