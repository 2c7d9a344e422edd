"""The data API under ``/v3/company/{realmId}/`` (qbo-api.md §1-§6), on top of the model layer.

Routes: ``GET companyinfo/{realmId}``, ``POST {entity}`` (create, or update when the body has an
``Id``; ``?operation=delete|void``, ``?operation=update&include=void``), ``GET {entity}/{id}``,
``GET query?query=`` and ``POST query`` (``Content-Type: application/text``), ``GET cdc``,
``POST batch``. Every answer is QBO-shaped JSON with a top-level ``time``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults
from qbo_sandbox.clock import format_time, parse_datetime
from qbo_sandbox.faults import QBOFault
from qbo_sandbox.http.batch import count_fault, run_batch
from qbo_sandbox.http.common import Request, Response
from qbo_sandbox.http.replay import MAX_REQUESTID, requestid_too_long

if TYPE_CHECKING:
    from qbo_sandbox.http.context import ServerContext

MIN_MINOR_VERSION = 75
WRITE_METHODS = frozenset({"POST"})


def classify(method: str, rest: list[str]) -> str | None:
    """The counter kind of a data-API request (``rest`` = path segments after the realm)."""
    if not rest:
        return None
    head = rest[0].lower()
    if head == "query":
        return "query"
    if head == "cdc":
        return "cdc"
    if head == "batch":
        return "batch"
    if head == "reports":
        return "report"
    if method == "GET" and (len(rest) == 2 or head == "preferences"):
        return "read"
    if method == "POST" and len(rest) == 1:
        return "write"
    return None


def minor_version(req: Request) -> int:
    """``minorversion`` as honoured: values below 75 (or missing/garbled) count as 75."""
    try:
        return max(MIN_MINOR_VERSION, int(req.query.get("minorversion", MIN_MINOR_VERSION)))
    except ValueError:
        return MIN_MINOR_VERSION


def parse_json_body(req: Request) -> dict[str, Any]:
    """The JSON object in the body, or QBO's 400 for a body it cannot read."""
    if req.media_type != "application/json":
        raise faults.unsupported_operation("Cannot consume content type")
    try:
        body = json.loads(req.body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise faults.unsupported_operation(
            "Invalid UTF-8 byte sequence (MalformedByteSequenceException)"
        ) from exc
    except json.JSONDecodeError as exc:
        raise faults.invalid_value(
            "",
            f"Property Name:Unexpected character at line {exc.lineno} column {exc.colno} "
            "specified is unsupported or invalid",
        ) from exc
    if not isinstance(body, dict):
        raise faults.invalid_value(
            "", "Property Name:Request body must be a JSON object specified is unsupported or invalid"
        )
    return body


# Entities whose Ids are not numbers: TaxCode's pseudo codes "TAX"/"NON" (qbo-api.md §5).
NON_NUMERIC_IDS = frozenset({"TaxCode"})


def check_path_id(entity: str, obj_id: str, realm_id: str) -> None:
    """2030 for an Id in a read path that is not a whole number (``/customer/1.5``, ``/invoice/abc``)."""
    if entity in NON_NUMERIC_IDS or (entity == "CompanyInfo" and obj_id == realm_id):
        return
    if not obj_id.isdigit():
        raise faults.invalid_id(obj_id)


class DataAPI:
    """Routes one authenticated data-API request to the company model."""

    def __init__(self, server: ServerContext) -> None:
        self.server = server

    def envelope(self, status: int, payload: dict[str, Any]) -> Response:
        payload["time"] = format_time(self.server.clock.now())
        return Response.json(status, payload)

    def fault(self, fault: QBOFault) -> Response:
        count_fault(self.server, fault)
        return self.envelope(fault.status, fault.body())

    def handle(self, req: Request, realm: str, rest: list[str]) -> Response:
        try:
            return self._route(req, realm, rest)
        except QBOFault as fault:
            return self.fault(fault)

    def _route(self, req: Request, realm: str, rest: list[str]) -> Response:
        head = rest[0].lower() if rest else ""
        method = req.method
        if head == "query" and len(rest) == 1 and method in ("GET", "POST"):
            return self.query(req)
        if head == "cdc" and len(rest) == 1 and method == "GET":
            return self.cdc(req)
        if head == "batch" and len(rest) == 1 and method == "POST":
            return self.batch(req, realm)
        if head == "preferences" and len(rest) == 1 and method == "GET":
            return self.envelope(200, {"Preferences": self.server.company.read("Preferences", "1")})
        if head == "reports" and len(rest) == 2 and method == "GET":
            return self.report(req, rest[1])
        entity = self.server.entity_name(head)
        if entity is not None and len(rest) == 2 and method == "GET":
            check_path_id(entity, rest[1], self.server.realm_id)
            return self.envelope(200, {entity: self.server.company.read(entity, rest[1])})
        if entity is not None and len(rest) == 1 and method == "POST":
            return self.write(req, realm, entity)
        raise self.unsupported(req)

    def unsupported(self, req: Request) -> QBOFault:
        relative = req.path
        full = f"{self.server.url}{req.target}"
        return faults.unsupported_operation(
            f"Could not find resource for relative : {relative} of full path: {full}"
        )

    # --- reads ----------------------------------------------------------------------------------

    def query(self, req: Request) -> Response:
        if req.method == "GET":
            statement = req.query.get("query")
        else:
            if req.media_type != "application/text":
                raise faults.unsupported_operation("Cannot consume content type")
            statement = req.body.decode("utf-8", errors="replace")
        if not statement or not statement.strip():
            raise faults.query_parse_error('Encountered "<EOF>": the query statement is missing')
        content = self.server.company.query_json(statement)
        stamp = json.dumps(format_time(self.server.clock.now())).encode()
        return Response(200, b'{"QueryResponse":' + content + b',"time":' + stamp + b"}")

    def report(self, req: Request, name: str) -> Response:
        """The Report Service (:mod:`qbo_sandbox.model.report_service`): the report object, no envelope."""
        from qbo_sandbox.model.report_service import REPORTS, ReportParamError, serve_report

        if name not in REPORTS:
            raise self.unsupported(req)
        params = {k: v for k, v in req.query.items() if k != "minorversion"}
        try:
            report = serve_report(self.server.company, name, params, self.server.clock.now())
        except ReportParamError as exc:
            raise faults.invalid_value(exc.name, f"{exc.name}={exc.value!r}: {exc.detail}") from None
        return Response(200, json.dumps(report).encode())

    def cdc(self, req: Request) -> Response:
        params = req.query
        entities = params.get("entities", "")
        changed_since = params.get("changedSince", "")
        if not entities.strip():
            raise faults.required_param("entities")
        if not changed_since.strip():
            raise faults.required_param("changedSince")
        names = [name.strip() for name in entities.split(",") if name.strip()]
        try:
            since = parse_datetime(changed_since)
        except ValueError as exc:
            raise faults.invalid_value(
                "changedSince", f"changedSince {changed_since!r} is not a valid date or date-time"
            ) from exc
        result = self.server.company.cdc(names, since)
        return self.envelope(200, {"CDCResponse": result})

    # --- writes ---------------------------------------------------------------------------------

    def write(self, req: Request, realm: str, entity: str) -> Response:
        body = parse_json_body(req)
        requestid = req.query.get("requestid") or None
        if requestid is None:
            return self.execute_write(req, entity, body)
        if len(requestid) > MAX_REQUESTID:
            raise requestid_too_long(len(requestid))
        answer, replayed = self.server.replay.run(
            ("write", realm, requestid), lambda: self.execute_write(req, entity, body)
        )
        if replayed:
            self.server.count("replayed")
        return answer

    def execute_write(self, req: Request, entity: str, body: dict[str, Any]) -> Response:
        operation = (req.query.get("operation") or "").lower()
        include = (req.query.get("include") or "").lower()
        includes = {part.strip() for part in include.split(",")}
        allow_dup = "allowduplicatedocnum" in includes
        company = self.server.company
        self.server.count(f"write:{entity}")
        try:
            if operation == "delete":
                obj = company.delete(entity, body)
            elif operation == "void" or (operation == "update" and "void" in includes):
                obj = company.void(entity, body)
            elif operation == "update" or (not operation and "Id" in body):
                obj = company.update(entity, body, allow_duplicate_doc=allow_dup)
            elif not operation:
                obj = company.create(entity, body, allow_duplicate_doc=allow_dup)
            else:
                raise faults.unsupported_operation(f"{operation} for {entity}")
        except QBOFault as fault:
            return self.fault(fault)
        return self.envelope(200, {entity: obj})

    def batch(self, req: Request, realm: str) -> Response:
        body = parse_json_body(req)
        answer = run_batch(self.server, req, realm, body)
        return answer
