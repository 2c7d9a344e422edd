"""QBO's query dialect: parse a ``SELECT`` statement and run it over a list of entity rows.

Grammar (qbo-api.md §2)::

    SELECT * [, prop ...] | COUNT(*) FROM <Entity>
      [WHERE <cond> [AND <cond>]...]
      [ORDERBY | ORDER BY <prop> [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS n]   (trailing clauses any order)
    cond := <prop> (= | < | > | <= | >=) <value> | <prop> IN (<value>, ...) | <prop> LIKE '<pattern %>'
    value := '<string with \\' escapes>' | number | true | false | CURRENT_DATE

Keywords, entity and property names are case-insensitive; so are string comparisons. A Ref property
(``CustomerRef``) compares its ``value``. Dates/date-times compare as instants (offset-aware).
``SELECT *, Sku`` returns full rows; ``SELECT Id, Name`` returns only the listed properties
(:attr:`Query.star` False). Every property named in the SELECT list, WHERE and ORDERBY must exist on
the entity, else 4001 (:mod:`qbo_sandbox.query_props`, checked once the entity is known). No OR, no JOIN.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from qbo_sandbox.clock import PACIFIC, parse_datetime
from qbo_sandbox.faults import max_results_error, query_error, query_parse_error

DEFAULT_MAX_RESULTS = 100
MAX_MAX_RESULTS = 1000
_OPERATORS = ("=", "<", ">", "<=", ">=", "IN", "LIKE")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([Tt ][0-9:.]+([Zz]|[+-]\d{2}:?\d{2})?)?$")
_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<string>'(?:\\.|[^'\\])*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_CURRENT_DATE = object()


@dataclass(frozen=True)
class Token:
    kind: str  # string | number | op | punct | word | end
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass
class Condition:
    """One ``prop op value`` term; ``values`` holds one literal, or several for IN."""

    path: tuple[str, ...]
    op: str
    values: list[Any]

    @property
    def prop(self) -> str:
        return ".".join(self.path)


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order_by: tuple[str, ...] | None = None
    descending: bool = False
    start_position: int = 1
    max_results: int = DEFAULT_MAX_RESULTS
    projection: list[str] = field(default_factory=list)
    star: bool = True

    def mentions(self, prop: str) -> bool:
        """True when a WHERE term filters on ``prop`` (case-insensitive, top level)."""
        return any(c.path[0].lower() == prop.lower() for c in self.where)


def tokenize(statement: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    text = statement.rstrip().rstrip(";")
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            col = len(text) - len(text[pos:].lstrip()) + 1
            bad = text[pos:].lstrip()[:1]
            raise query_parse_error(f'Encountered "{bad}" at line 1, column {col}. Unexpected character.')
        kind = m.lastgroup or "word"
        tokens.append(Token(kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    tokens.append(Token("end", "<EOF>", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, statement: str) -> None:
        self.tokens = tokenize(statement)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def fail(self, tok: Token, expected: str) -> Exception:
        return query_parse_error(
            f'Encountered "{tok.text}" at line 1, column {tok.pos}. Was expecting one of: {expected}'
        )

    def expect_word(self, *words: str) -> Token:
        tok = self.next()
        if tok.kind != "word" or tok.upper not in words:
            raise self.fail(tok, ", ".join(words))
        return tok

    def expect_punct(self, char: str) -> Token:
        tok = self.next()
        if tok.kind != "punct" or tok.text != char:
            raise self.fail(tok, f'"{char}"')
        return tok

    def identifier(self, what: str) -> str:
        tok = self.next()
        if tok.kind != "word":
            raise self.fail(tok, what)
        return tok.text

    def integer(self, clause: str) -> int:
        tok = self.next()
        text = tok.text[1:-1] if tok.kind == "string" else tok.text
        if tok.kind not in ("number", "string") or not re.fullmatch(r"-?\d+", text):
            raise self.fail(tok, f"an integer after {clause}")
        return int(text)


def parse(statement: str) -> Query:
    """Parse a QBO ``SELECT``; raises QBOFault 4000 (syntax) or 4001/400 (validation)."""
    p = _Parser(statement)
    p.expect_word("SELECT")
    count, star, projection = _parse_select_list(p)
    p.expect_word("FROM")
    entity = p.identifier("an entity name")
    query = Query(entity=entity, count=count, projection=projection, star=star)
    tok = p.peek()
    if tok.kind == "word" and tok.upper == "WHERE":
        p.next()
        query.where = _parse_where(p)
    _parse_trailing(p, query)
    return query


def _parse_select_list(p: _Parser) -> tuple[bool, bool, list[str]]:
    """(COUNT(*)?, ``*`` present?, the named properties)."""
    tok = p.next()
    if tok.kind == "word" and tok.upper == "COUNT":
        p.expect_punct("(")
        p.expect_punct("*")
        p.expect_punct(")")
        return True, True, []
    projection: list[str] = []
    if not (tok.kind == "punct" and tok.text == "*") and (tok.kind != "word" or tok.upper == "FROM"):
        raise p.fail(tok, '"*", "COUNT(*)"')
    if tok.kind == "word":
        projection.append(tok.text)
    star = tok.kind == "punct"
    while p.peek().kind == "punct" and p.peek().text == ",":
        p.next()
        nxt = p.next()
        if nxt.kind == "punct" and nxt.text == "*":
            star = True
        elif nxt.kind == "word" and nxt.upper != "FROM":
            projection.append(nxt.text)
        else:
            raise p.fail(nxt, "a property name")
    return False, star, projection


def _parse_where(p: _Parser) -> list[Condition]:
    conds = [_parse_condition(p)]
    while True:
        tok = p.peek()
        if tok.kind == "word" and tok.upper == "AND":
            p.next()
            conds.append(_parse_condition(p))
        elif tok.kind == "word" and tok.upper == "OR":
            raise query_parse_error(
                f'Encountered "{tok.text}" at line 1, column {tok.pos}. OR is not supported in QBO '
                "queries; use IN (...) or separate queries"
            )
        else:
            return conds


def _parse_condition(p: _Parser) -> Condition:
    prop_tok = p.next()
    if prop_tok.kind != "word":
        raise p.fail(prop_tok, "a property name")
    path = tuple(prop_tok.text.split("."))
    op_tok = p.next()
    op = op_tok.upper if op_tok.kind == "word" else op_tok.text
    if op not in _OPERATORS or op_tok.kind not in ("op", "word"):
        raise p.fail(op_tok, "=, <, >, <=, >=, IN, LIKE")
    if path[0].lower() == "id" and len(path) == 1 and op not in ("=", "IN"):
        raise query_error(f"operator {op} is not supported for property Id; use = or IN")
    if op == "IN":
        p.expect_punct("(")
        values = [_parse_value(p)]
        while p.peek().kind == "punct" and p.peek().text == ",":
            p.next()
            values.append(_parse_value(p))
        p.expect_punct(")")
        return Condition(path, op, values)
    value = _parse_value(p)
    if op == "LIKE" and not isinstance(value, str):
        raise query_error(f"LIKE on {prop_tok.text} needs a quoted string pattern")
    return Condition(path, op, [value])


def _parse_value(p: _Parser) -> Any:
    tok = p.next()
    if tok.kind == "string":
        return re.sub(r"\\(.)", r"\1", tok.text[1:-1])
    if tok.kind == "number":
        return float(tok.text) if "." in tok.text else int(tok.text)
    if tok.kind == "word" and tok.upper in ("TRUE", "FALSE"):
        return tok.upper == "TRUE"
    if tok.kind == "word" and tok.upper == "CURRENT_DATE":
        return _CURRENT_DATE
    raise p.fail(tok, "a quoted string, a number, true, false")


def _parse_trailing(p: _Parser, query: Query) -> None:
    seen: set[str] = set()
    while True:
        tok = p.next()
        if tok.kind == "end":
            return
        word = tok.upper if tok.kind == "word" else ""
        if word == "ORDER":
            p.expect_word("BY")
            word = "ORDERBY"
        if word not in ("ORDERBY", "STARTPOSITION", "MAXRESULTS") or word in seen:
            raise p.fail(tok, "AND, ORDERBY, STARTPOSITION, MAXRESULTS")
        seen.add(word)
        if word == "ORDERBY":
            query.order_by = tuple(p.identifier("a property name").split("."))
            nxt = p.peek()
            if nxt.kind == "word" and nxt.upper in ("ASC", "DESC"):
                query.descending = p.next().upper == "DESC"
        elif word == "STARTPOSITION":
            query.start_position = p.integer("STARTPOSITION")
            if query.start_position < 1:
                raise query_error(f"STARTPOSITION value {query.start_position} is invalid; it is 1-based")
        else:
            query.max_results = p.integer("MAXRESULTS")
            if query.max_results > MAX_MAX_RESULTS:
                raise max_results_error(query.max_results)
            if query.max_results < 1:
                raise query_error(f"MAXRESULTS value {query.max_results} is invalid; minimum is 1")


# --- execution -----------------------------------------------------------------------------------


def resolve(row: dict[str, Any], path: tuple[str, ...]) -> Any:
    """Value at a dotted path (case-insensitive keys); Ref objects give their ``value``."""
    cur: Any = row
    for part in path:
        if not isinstance(cur, dict):
            return None
        if part in cur:
            cur = cur[part]
            continue
        low = part.lower()
        cur = next((v for k, v in cur.items() if k.lower() == low), None)
        if cur is None:
            return None
    if isinstance(cur, dict) and "value" in cur:
        return cur["value"]
    return cur


def _as_instant(value: Any) -> datetime | None:
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        try:
            return parse_datetime(value)
        except ValueError:
            return None
    return None


def _coerce_pair(actual: Any, literal: Any, now: datetime) -> tuple[Any, Any] | None:
    """Bring a row value and a literal to comparable types, or None when they cannot compare."""
    if literal is _CURRENT_DATE:
        literal = now.date().isoformat()
    if isinstance(actual, bool):
        if isinstance(literal, str) and literal.lower() in ("true", "false"):
            literal = literal.lower() == "true"
        return (actual, literal) if isinstance(literal, bool) else None
    if isinstance(actual, int | float):
        try:
            return float(actual), float(literal)
        except (TypeError, ValueError):
            return None
    if isinstance(actual, str):
        lit_text = literal if isinstance(literal, str) else str(literal)
        a_dt, l_dt = _as_instant(actual), _as_instant(lit_text)
        if a_dt is not None and l_dt is not None:
            return a_dt, l_dt
        if isinstance(literal, int | float) and not isinstance(literal, bool):
            try:
                return float(actual), float(literal)
            except ValueError:
                return None
        return actual.casefold(), lit_text.casefold()
    return None


def _like(actual: Any, pattern: str) -> bool:
    if not isinstance(actual, str):
        return False
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, actual, re.IGNORECASE | re.DOTALL) is not None


def _compare(actual: Any, op: str, literal: Any, now: datetime) -> bool:
    pair = _coerce_pair(actual, literal, now)
    if pair is None:
        return False
    a, b = pair
    if op == "=":
        return a == b
    try:
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    except TypeError:
        return False


def matches(row: dict[str, Any], cond: Condition, now: datetime) -> bool:
    actual = resolve(row, cond.path)
    if actual is None:
        return False
    if cond.op == "LIKE":
        return _like(actual, cond.values[0])
    if cond.op == "IN":
        return any(_compare(actual, "=", v, now) for v in cond.values)
    return _compare(actual, cond.op, cond.values[0], now)


def id_key(row: dict[str, Any]) -> tuple[int, int, str]:
    """Sort key ordering Ids numerically (non-numeric pseudo-ids such as TAX/NON first)."""
    ident = str(row.get("Id", ""))
    return (1, int(ident), "") if ident.isdigit() else (0, 0, ident)


def is_current_date(value: Any) -> bool:
    """True for the parsed ``CURRENT_DATE`` literal."""
    return value is _CURRENT_DATE


def order_key(path: tuple[str, ...]) -> Any:
    """Sort key for ``ORDERBY path``: Ids numerically, else nulls last, then by value type."""
    if len(path) == 1 and path[0].lower() == "id":
        return id_key

    def key(row: dict[str, Any]) -> tuple[int, Any]:
        value = resolve(row, path)
        if value is None:
            return (9, "")
        if isinstance(value, bool):
            return (1, int(value))
        if isinstance(value, int | float):
            return (2, float(value))
        instant = _as_instant(value) if isinstance(value, str) else None
        if instant is not None:
            return (3, instant.timestamp())
        return (4, str(value).casefold())

    return key


def filtered(
    query: Query, rows: Iterable[dict[str, Any]], active_default: bool, now: datetime
) -> Iterator[dict]:
    hide_inactive = active_default and not query.mentions("Active")
    for row in rows:
        if hide_inactive and row.get("Active") is False:
            continue
        if all(matches(row, c, now) for c in query.where):
            yield row


def execute(
    query: Query,
    rows: Iterable[dict[str, Any]],
    *,
    default_active_filter: bool = False,
    now: datetime | None = None,
    presorted: bool = False,
) -> dict[str, Any]:
    """Run ``query`` over ``rows``; returns the ``QueryResponse`` content.

    ``rows`` are the entity's objects; with ``presorted`` they are already in Id order, which lets an
    unordered page stop scanning once it is full. ``default_active_filter`` hides ``Active:false``
    rows unless the WHERE mentions ``Active`` (name-list entities).
    """
    current = now or datetime.now(PACIFIC)
    found = filtered(query, rows, default_active_filter, current)
    if query.count:
        return {"totalCount": sum(1 for _ in found)}
    start = query.start_position - 1
    if query.order_by is not None:
        ordered = sorted(found, key=order_key(query.order_by), reverse=query.descending)
        page = ordered[start : start + query.max_results]
    elif presorted:
        page = list(islice(found, start, start + query.max_results))
    else:
        page = sorted(found, key=id_key)[start : start + query.max_results]
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start_position, "maxResults": len(page)}
