"""The one QuickBooks Online client of the product.

- :mod:`.errors`: the error vocabulary and :func:`~.errors.classify` (one place sorts every response)
- :mod:`.budget`: the per-realm request budget (QBO's 500/min, 10 in flight, 40 batch/min)
- :mod:`.transport`: auth flow, budget, bounded retries, ``minorversion=75``
- :mod:`.client`: :class:`~.client.QBOClient` (reads, paging, CDC, writes with requestid, batch)
- :mod:`.oauth`, :mod:`.tokens`, :mod:`.crypto`: OAuth client and token custody
"""

from __future__ import annotations

from qbo_sync.qbo.budget import RequestBudget, budget_for
from qbo_sync.qbo.client import (
    BatchItem,
    BatchOutcome,
    CDCResult,
    QBOClient,
    request_id_for,
    writable,
)
from qbo_sync.qbo.errors import (
    AmbiguousOutcome,
    AuthError,
    DuplicateDocNumber,
    DuplicateName,
    FatalError,
    InvalidGrant,
    OAuthError,
    QBOError,
    ReconnectNeeded,
    RecordRejected,
    RetriableError,
    StaleObject,
    ThrottledError,
    classify,
    fault_from_item,
)
from qbo_sync.qbo.oauth import OAuthClient, OAuthEndpoints, TokenSet, endpoints_for
from qbo_sync.qbo.transport import ParsedResponse, Transport

__all__ = [
    "AmbiguousOutcome",
    "AuthError",
    "BatchItem",
    "BatchOutcome",
    "CDCResult",
    "DuplicateDocNumber",
    "DuplicateName",
    "FatalError",
    "InvalidGrant",
    "OAuthClient",
    "OAuthEndpoints",
    "OAuthError",
    "ParsedResponse",
    "QBOClient",
    "QBOError",
    "ReconnectNeeded",
    "RecordRejected",
    "RequestBudget",
    "RetriableError",
    "StaleObject",
    "ThrottledError",
    "TokenSet",
    "Transport",
    "budget_for",
    "classify",
    "endpoints_for",
    "fault_from_item",
    "request_id_for",
    "writable",
]
