"""QBO's query dialect, parsed: a ``SELECT`` statement into a :class:`Query`.

Run by :mod:`qbo_sandbox.query`, which re-exports :func:`parse` and the classes here.

Grammar (qbo-api.md §2)::

    SELECT * [, prop ...] | COUNT(*) FROM <Entity>
      [WHERE <cond> [AND <cond>]...]
      [ORDERBY | ORDER BY <prop> [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS n]   (trailing clauses any order)
    cond := <prop> (= | < | > | <= | >=) <value> | <prop> IN (<value>, ...) | <prop> LIKE '<pattern %>'
    value := '<string with \\' escapes>' | number | true | false | CURRENT_DATE

Keywords are case-insensitive. ``SELECT *, Sku`` keeps :attr:`Query.star` True; ``SELECT Id, Name``
sets it False with the names in :attr:`Query.projection`. Whether the named properties exist is
checked later, once the entity is known (:mod:`qbo_sandbox.query.props`). No OR, no JOIN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from qbo_sandbox.faults import max_results_error, query_error, query_parse_error

DEFAULT_MAX_RESULTS = 100
MAX_MAX_RESULTS = 1000
_OPERATORS = ("=", "<", ">", "<=", ">=", "IN", "LIKE")
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
CURRENT_DATE = object()  # the parsed ``CURRENT_DATE`` literal (a date only the run knows)


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
        return CURRENT_DATE
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
