"""The QBO error vocabulary and the one function that sorts responses into it.

Callers catch categories, never status codes::

    QBOError                      every failure talking to QuickBooks (status, code, message, detail,
    │                             element, intuit_tid, fault_type; str() never contains a token)
    ├── RetriableError            429, 5xx, 10000+, network errors, timeouts: retry with backoff
    │   └── ThrottledError        429 / 3001 ThrottleExceeded; ``retry_after`` seconds if the server said
    ├── AuthError                 401, 3200, 100, 120: refresh the access token once, resend
    ├── ReconnectNeeded           the refresh token is dead (invalid_grant after a re-read): a person
    │                             must run the OAuth connect flow again
    ├── OAuthError                the token endpoint refused (invalid_client, invalid_request, ...)
    │   └── InvalidGrant          ``invalid_grant``: refresh token superseded, expired or revoked
    ├── FatalError                configuration or programming error: 403/3100 wrong environment or
    │                             realm, 4000/4001 invalid query, 1040 batch too large, 5xx-range codes
    ├── AmbiguousOutcome          a write may or may not have been applied (timeout without requestid,
    │                             a batch answer that lacks a bId): look up by natural key, then decide
    └── RecordRejected            one record was refused (2xxx, 5xxx, 6xxx, 610, ...): fix the data
        ├── StaleObject           5010: SyncToken out of date; re-read, merge, retry once
        ├── DuplicateName         6240: DisplayName clash across Customer/Vendor/Employee
        └── DuplicateDocNumber    6140: DocNumber already used

:func:`classify` inspects the HTTP status *and* the body (``Fault``/``fault``, ``Error``/``error``,
``Message``/``message``, XML ``<Fault type=..><Error code=..>`` bodies, non-JSON bodies, faults inside
HTTP 200). :func:`fault_from_item` does the same for one ``BatchItemResponse`` item.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

# A key that names a secret (``refresh_token=``, ``"access_token": "``, ``client_secret:``) masks
# the value after it; ordinary words after "token" ("token refresh: network error") stay readable.
_SECRET_PATTERNS = (
    re.compile(
        r"(?i)(\b(?:access_|refresh_|id_|bearer_)?token\b[\"']?\s*[:=]\s*[\"']?)"
        r"(?!(?:network|refused|expired|invalid|rejected|error|missing|none|null)\b)[^\s,;\"']+"
    ),
    re.compile(r"(?i)(\b(?:client_secret|assertion)[\"']?\s*[:=]\s*[\"']?)[^\s,;\"'&]+"),
    re.compile(r"(?i)(bearer\s+)[^\s,;\"']+"),
    re.compile(r"\b(?:AB|eyJ|RT1-)[A-Za-z0-9._~+/=-]{16,}"),
    re.compile(r"[A-Za-z0-9._~+/=-]{48,}"),
)


def redact(text: str) -> str:
    """Remove anything that looks like an OAuth token from ``text``."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


class QBOError(Exception):
    """Base of every QBO failure. ``str()`` is readable and redacted."""

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        detail: str = "",
        element: str = "",
        intuit_tid: str | None = None,
        fault_type: str | None = None,
        hint: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.message = redact(message or "")
        self.detail = redact(detail or "")
        self.element = element or ""
        self.intuit_tid = intuit_tid
        self.fault_type = fault_type
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.__class__.__name__ + ":"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(f"code {self.code}")
        text = self.message
        if self.detail and self.detail != self.message:
            text = f"{text}: {self.detail}" if text else self.detail
        if text:
            parts.append(f"- {text}")
        if self.element:
            parts.append(f"(element {self.element})")
        if self.hint:
            parts.append(f"[{self.hint}]")
        if self.intuit_tid:
            parts.append(f"(intuit_tid {self.intuit_tid})")
        return " ".join(parts)

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "element": self.element,
            "intuit_tid": self.intuit_tid,
            "fault_type": self.fault_type,
            "hint": self.hint,
        }
        return (_rebuild, (self.__class__, self.message, kwargs))


def _rebuild(cls: type[QBOError], message: str, kwargs: dict[str, Any]) -> QBOError:
    return cls(message, **kwargs)


class RetriableError(QBOError):
    """Transient: 429, 5xx, network errors, timeouts."""


class ThrottledError(RetriableError):
    """429 ThrottleExceeded; ``retry_after`` is the server's Retry-After in seconds, if any."""

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class AuthError(QBOError):
    """The access token was refused (401 / 3200 / 100 / 120): refresh once and resend."""


class ReconnectNeeded(QBOError):
    """The stored refresh token no longer works; a person must reconnect the company."""


class OAuthError(QBOError):
    """The OAuth token endpoint refused the request."""


class InvalidGrant(OAuthError):
    """``invalid_grant``: the refresh token (or code) is superseded, expired or revoked."""


class FatalError(QBOError):
    """Configuration or programming error; retrying cannot help."""


class AmbiguousOutcome(QBOError):
    """A write may or may not have been applied; look it up by its natural key before re-sending."""


class RecordRejected(QBOError):
    """QBO refused one record (validation or business rule)."""


class StaleObject(RecordRejected):
    """5010: the SyncToken is out of date."""


class DuplicateName(RecordRejected):
    """6240: the name is already used by another customer, vendor or employee."""


class DuplicateDocNumber(RecordRejected):
    """6140: the document number is already used."""


WRONG_ENVIRONMENT_HINT = (
    "check that the connection's environment (sandbox/production) matches the app keys and that "
    "this realm id is connected to the app"
)

_AUTH_CODES = {"100", "120", "3200"}
_FATAL_CODES = {"1040", "3100", "3201", "4000", "4001"}
_RECORD_SUBCLASSES: dict[str, type[RecordRejected]] = {
    "5010": StaleObject,
    "6240": DuplicateName,
    "6140": DuplicateDocNumber,
}


def header(headers: Mapping[str, Any] | None, *names: str) -> str | None:
    """Case-insensitive header lookup over several spellings; list values give their first item."""
    if not headers:
        return None
    wanted = {n.lower() for n in names}
    for key, value in headers.items():
        if str(key).lower() in wanted:
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            return None if value is None else str(value)
    return None


def intuit_tid_of(headers: Mapping[str, Any] | None) -> str | None:
    """``intuit_tid`` or ``Intuit-Tid``, case-insensitively."""
    return header(headers, "intuit_tid", "intuit-tid")


def parse_body(body: bytes | str | Mapping[str, Any] | None) -> dict[str, Any] | str | None:
    """JSON (``Decimal`` floats) → dict; XML → a dict with ``Fault`` if one is inside; else text."""
    if body is None or isinstance(body, Mapping):
        return dict(body) if body is not None else None
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    stripped = text.strip()
    if not stripped:
        return None
    if stripped[0] in "{[":
        try:
            parsed = json.loads(stripped, parse_float=Decimal)
        except ValueError:
            return text
        return parsed if isinstance(parsed, dict) else {"_list": parsed}
    if stripped.startswith("<"):
        return _parse_xml(stripped) or text
    return text


def _parse_xml(text: str) -> dict[str, Any] | None:
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    for el in root.iter():
        el.tag = el.tag.rsplit("}", 1)[-1]
    fault = root if root.tag == "Fault" else root.find(".//Fault")
    if fault is None:
        return {"_xml": root.tag}
    errors = [
        {
            "code": err.get("code") or (err.findtext("code") or ""),
            "Message": (err.findtext("Message") or "").strip(),
            "Detail": (err.findtext("Detail") or "").strip(),
            "element": err.get("element") or "",
        }
        for err in fault.iter("Error")
    ]
    return {"Fault": {"type": fault.get("type"), "Error": errors}}


def _get(d: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in d:
            return d[name]
    lowered = {str(k).lower(): v for k, v in d.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _first_error(fault: Mapping[str, Any]) -> dict[str, str]:
    errors = _get(fault, "Error", "error") or []
    if isinstance(errors, Mapping):
        errors = [errors]
    first = errors[0] if errors and isinstance(errors[0], Mapping) else {}
    return {
        "code": str(_get(first, "code") or ""),
        "message": str(_get(first, "Message", "message") or ""),
        "detail": str(_get(first, "Detail", "detail") or ""),
        "element": str(_get(first, "element") or ""),
    }


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    value = header(headers, "retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _category(status: int | None, code: str) -> type[QBOError]:
    """Map (HTTP status, QBO code) to an error class."""
    if status == 429 or code == "3001":
        return ThrottledError
    if status == 401 or code in _AUTH_CODES:
        return AuthError
    if code in _FATAL_CODES or status in (403, 404, 405, 415):
        return FatalError
    if status is not None and (status >= 500 or status == 408):
        return RetriableError
    if code in _RECORD_SUBCLASSES:
        return _RECORD_SUBCLASSES[code]
    number = int(code) if code.isdigit() else None
    if number is None:
        return FatalError if status is not None else RecordRejected
    if number >= 10000:
        return RetriableError
    if number < 500:
        return AuthError
    if number < 600 or 1000 <= number < 2000:
        return FatalError
    return RecordRejected


def _build(
    cls: type[QBOError],
    status: int | None,
    err: Mapping[str, str],
    headers: Mapping[str, Any] | None,
    fault_type: str | None,
) -> QBOError:
    kwargs: dict[str, Any] = {
        "status": status,
        "code": err.get("code") or None,
        "detail": err.get("detail", ""),
        "element": err.get("element", ""),
        "intuit_tid": intuit_tid_of(headers),
        "fault_type": fault_type,
    }
    if err.get("code") == "3100" or (status == 403 and cls is FatalError):
        kwargs["hint"] = WRONG_ENVIRONMENT_HINT
    if err.get("code") in ("4000", "4001"):
        kwargs["hint"] = "the query statement is invalid; this is a programming error"
    if err.get("code") == "1040":
        kwargs["hint"] = "send at most 30 items per batch"
    if cls is ThrottledError:
        return ThrottledError(err.get("message", ""), retry_after=_retry_after(headers), **kwargs)
    return cls(err.get("message", ""), **kwargs)


def classify(
    status: int | None,
    headers: Mapping[str, Any] | None,
    body: bytes | str | Mapping[str, Any] | None,
) -> QBOError | None:
    """Sort one response into the vocabulary; ``None`` means success.

    ``status`` may be ``None`` for a fault that came without its own HTTP status (a batch item).
    """
    parsed = parse_body(body)
    fault = _get(parsed, "Fault", "fault") if isinstance(parsed, Mapping) else None
    if isinstance(fault, Mapping):
        err = _first_error(fault)
        fault_type = _get(fault, "type")
        return _build(_category(status, err["code"]), status, err, headers, fault_type)
    if status is None or status < 400:
        return None
    err = {"code": "", "message": _describe(parsed, status), "detail": "", "element": ""}
    return _build(_category(status, ""), status, err, headers, None)


def _describe(parsed: dict[str, Any] | str | None, status: int) -> str:
    if isinstance(parsed, str):
        return " ".join(parsed.split())[:300] or f"HTTP {status}"
    if isinstance(parsed, Mapping):
        text = _get(parsed, "Message", "message", "error_description", "error")
        if text:
            return str(text)[:300]
    return f"HTTP {status} with no error details"


def fault_from_item(item: Mapping[str, Any], intuit_tid: str | None = None) -> QBOError | None:
    """The error carried by one ``BatchItemResponse`` item, or ``None``."""
    fault = _get(item, "Fault", "fault")
    if not isinstance(fault, Mapping):
        return None
    headers = {"intuit_tid": intuit_tid} if intuit_tid else None
    return classify(None, headers, {"Fault": fault})
