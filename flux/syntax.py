"""Flux source read as the Flux scanner reads it: tokens, string values, duration literals.

The one reading of Flux text in the project: the Task provider's check() and the emulator's task
options both go through it, so what the program renders, what it checks and what the emulator
stores agree with InfluxData's parser (tests/test_flux_syntax.py compares them). Strings know
their escapes (`\\"`, `\\\\`, `\\$`, `\\n`, `\\r`, `\\t`, `\\xNN` bytes) and `${...}`
interpolations; comments and brackets inside strings are text.

Errors read like the Flux parser's as influxd reports them: "loc L:C-L:C: <detail>" (1-based
lines and columns; the end of the text is the column after its last character).
"""

from __future__ import annotations

import re
from typing import NamedTuple

IDENT = "ident"
INT = "int"
FLOAT = "float"
DURATION = "duration"
STRING = "string"
STRING_EXPRESSION = "string expression"  # a string with `${...}` interpolations
REGEX = "regex"
TIME = "time"
PUNCT = "punct"
UNTERMINATED = "unterminated string"

DURATION_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
               "h": 3600 * 10**9, "d": 86400 * 10**9, "w": 7 * 86400 * 10**9}
# Months and years are added on the calendar: they have no fixed length. Where a length is only
# compared (a task's every and offset, the policy pack's once-a-minute rule), a month counts 30
# days and a year 365; a setting that needs an exact length refuses them (flux/literals.py).
CALENDAR_NS = {"mo": 30 * 86400 * 10**9, "y": 365 * 86400 * 10**9}
_UNIT_NS = {**DURATION_NS, **CALENDAR_NS}
_UNITS = "|".join(sorted(_UNIT_NS, key=len, reverse=True))
_DURATION_PART = re.compile(rf"(\d+)({_UNITS})")
_DURATION = re.compile(rf"(?:\d+(?:{_UNITS}))+(?!\w)")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?")
_FLOAT = re.compile(r"\d+\.\d+")
_INT = re.compile(r"\d+")
_IDENT = re.compile(r"[^\W\d]\w*")
# What lies between tokens: the scanner's whitespace (a no-break space outside a string is an
# error) and comments.
_BETWEEN = re.compile(r"(?:[ \t\r\n]+|//[^\n]*)*")
# Every punctuation but "/", which opens a regex unless it follows a value (_next_token); the
# two-character ones first.
_PUNCTS = ("|>", "=>", "<-", "==", "!=", "<=", ">=", "=~", "!~",
           "+", "-", "*", "%", "^", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",",
           ".", ":", "?", "!")
# The next token, after what lies between: a name or punctuation read at once; anything else
# (a string, a number, a "/", an invalid character) by _next_token.
_NEXT = re.compile(rf"{_BETWEEN.pattern}(?:(?P<{IDENT}>{_IDENT.pattern})|"
                   rf"(?P<{PUNCT}>{'|'.join(map(re.escape, _PUNCTS))})|(?P<other>.)|$)",
                   re.DOTALL)
OPENERS = "([{"
CLOSERS = {"(": ")", "[": "]", "{": "}"}
_CLOSER_NAMES = {")": "RPAREN", "]": "RBRACK", "}": "RBRACE"}
# A "/" after one of these divides; anywhere else it opens a regex literal.
_VALUE_ENDS = {IDENT, INT, FLOAT, DURATION, STRING, STRING_EXPRESSION, REGEX, TIME}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$"}
_STRING_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|.)", re.DOTALL)


class FluxSyntaxError(Exception):
    """A script the Flux parser rejects."""


class Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int

    def is_punct(self, texts: str) -> bool:
        """True for a punctuation token among `texts` (each one character)."""
        return self.kind == PUNCT and len(self.text) == 1 and self.text in texts


class _Source:
    def __init__(self, text: str) -> None:
        self.text = text

    def position(self, offset: int) -> str:
        line_start = self.text.rfind("\n", 0, offset) + 1
        return f"{self.text.count(chr(10), 0, line_start) + 1}:{offset - line_start + 1}"

    def error(self, start: int, end: int, detail: str) -> FluxSyntaxError:
        return FluxSyntaxError(f"loc {self.position(start)}-{self.position(end)}: {detail}")


def tokenize(text: str) -> list[Token]:
    """The tokens of a script; raises FluxSyntaxError for what the parser would reject."""
    source = _Source(text)
    tokens: list[Token] = []
    end = 0
    while kind := (match := _NEXT.match(text, end)).lastgroup:
        if kind == "other":
            tokens.append(_next_token(source, match.start(kind), tokens[-1] if tokens else None))
        else:
            tokens.append(Token(kind, match.group(kind), match.start(kind), match.end()))
        end = tokens[-1].end
    _check_brackets(source, tokens)
    _check_strings(source, tokens)
    return tokens


def _next_token(source: _Source, i: int, previous: Token | None) -> Token:
    text = source.text
    char = text[i]
    if char == '"':
        try:
            end, interpolated = _string_end(source, i)
        except _Unterminated:  # reported after the brackets (tokenize)
            return Token(UNTERMINATED, text[i:], i, len(text))
        return Token(STRING_EXPRESSION if interpolated else STRING, text[i:end], i, end)
    if char == "/" and not _ends_value(previous):
        return Token(REGEX, text[i:(end := _regex_end(source, i))], i, end)
    if char.isdigit():
        for kind, pattern in ((TIME, _TIME), (DURATION, _DURATION), (FLOAT, _FLOAT), (INT, _INT)):
            match = pattern.match(text, i)
            if match:
                return Token(kind, match.group(), i, match.end())
    if char == "/":  # after a value: a division (tokenize reads every other name or punctuation)
        return Token(PUNCT, char, i, i + 1)
    raise source.error(i, i + 1, f"invalid token {char!r}")


def _ends_value(token: Token | None) -> bool:
    return token is not None and (token.kind in _VALUE_ENDS or token.text in (")", "]", "}"))


def _string_end(source: _Source, start: int) -> tuple[int, bool]:
    """The offset just past the closing quote of the string starting at `start`, and whether
    the string interpolates (`${...}` not escaped)."""
    text = source.text
    i, interpolated = start + 1, False
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text.startswith("${", i):
            i, interpolated = _interpolation_end(source, i + 2), True
        elif text[i] == '"':
            return i + 1, interpolated
        else:
            i += 1
    raise _Unterminated


def _interpolation_end(source: _Source, i: int) -> int:
    text = source.text
    depth = 1
    while i < len(text):
        if text[i] == '"':
            i = _string_end(source, i)[0]
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
        if depth == 0:
            return i
    raise source.error(i - 1, i, "expected RBRACE, got EOF")


def _regex_end(source: _Source, start: int) -> int:
    text = source.text
    i = start + 1
    while i < len(text) and text[i] != "\n":
        if text[i] == "\\":
            i += 2
        elif text[i] == "/":
            return i + 1
        else:
            i += 1
    raise source.error(start, start + 1, "regex literal not terminated")


def _check_brackets(source: _Source, tokens: list[Token]) -> None:
    open_brackets: list[Token] = []
    for token in tokens:
        if token.kind != PUNCT:
            continue
        if token.text in CLOSERS:
            open_brackets.append(token)
        elif token.text in _CLOSER_NAMES:
            if not open_brackets or CLOSERS[open_brackets[-1].text] != token.text:
                raise source.error(token.start, token.end, f"invalid statement: {token.text}")
            open_brackets.pop()
    if open_brackets:
        opener = open_brackets[-1]
        closer = _CLOSER_NAMES[CLOSERS[opener.text]]
        end = len(source.text)
        raise source.error(opener.start, end, f"expected {closer}, got EOF")


class _Unterminated(Exception):
    """A string runs to the end of the text."""


def _check_strings(source: _Source, tokens: list[Token]) -> None:
    """An unterminated string is reported only where no open bracket is (the parser's order)."""
    last = tokens[-1] if tokens else None
    if last and last.kind == UNTERMINATED:
        end = source.position(len(source.text))
        raise source.error(last.start, last.start + 1,
                           f"got unexpected token in string expression @{end}-{end}: EOF")


def string_value(literal: str) -> str:
    """The value of a plain string literal token (escapes resolved, `\\xNN` bytes as UTF-8);
    ValueError for an escape the Flux parser refuses."""
    body, encoded, done = literal[1:-1], bytearray(), 0
    for match in _STRING_ESCAPE.finditer(body):
        encoded += body[done:match.start()].encode()
        escape = match.group(1)
        if len(escape) == 3:
            encoded.append(int(escape[1:], 16))
        elif escape in _ESCAPES:
            encoded += _ESCAPES[escape].encode()
        else:
            raise ValueError(f"invalid escape sequence \\{escape} in {literal}")
        done = match.end()
    encoded += body[done:].encode()
    return encoded.decode()


def duration_parts(literal: str) -> list[tuple[int, str]] | None:
    """The (magnitude, unit) pairs of a duration literal such as `1h30m`, None if the text is
    not one (the scanner's reading: any run of digits, then a unit, repeated)."""
    if not _DURATION.fullmatch(literal):
        return None
    return [(int(m.group(1)), m.group(2)) for m in _DURATION_PART.finditer(literal)]


def parts_ns(parts: list[tuple[int, str]]) -> int:
    """Nanoseconds in a duration's (magnitude, unit) parts, months and years at their CALENDAR_NS
    length; KeyError for a unit that is no duration unit."""
    return sum(magnitude * _UNIT_NS[unit] for magnitude, unit in parts)
