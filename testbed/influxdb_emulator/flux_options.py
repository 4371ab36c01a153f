"""The task options of a Flux script: `option task = {name: ..., every: ..., offset: ...}`.

Follows influxdb task/options `FromScriptAST` (what 2.7 runs when a task is created or its Flux
changes): exactly one `option task` assignment, a record, `name` a string literal, exactly one of
`every` (a duration literal) or `cron` (a string literal), an optional `offset` (a duration,
possibly negative), `concurrency` and `retry` integers; then `Options.Validate`. Every failure
is a TaskOptionError whose text the server reports as "invalid options: <text>".

`rewrite_options` is `TaskUpdate.UpdateFlux`: a PATCH carrying name/every/cron/offset edits the
record and the server stores the reformatted script, not the text the client sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from testbed.influxdb_emulator import flux_lexer
from testbed.influxdb_emulator.flux_lexer import Token

NANOS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
         "h": 3600 * 10**9, "d": 86400 * 10**9, "w": 7 * 86400 * 10**9,
         # Flux adds months and years on the calendar; a fixed length is close enough here.
         "mo": 30 * 86400 * 10**9, "y": 365 * 86400 * 10**9}
# Go's time.ParseDuration knows no unit above the hour.
GO_UNITS = ("ns", "us", "µs", "ms", "s", "m", "h")
MAX_CONCURRENCY = 100
MAX_RETRY = 10


class TaskOptionError(Exception):
    """The detail of an "invalid options" failure."""


@dataclass(frozen=True)
class Duration:
    """A (possibly negative) Flux duration literal, kept as written."""

    parts: tuple[tuple[int, str], ...]
    negative: bool = False

    @classmethod
    def parse(cls, text: str) -> Duration:
        negative = text.startswith("-")
        literal = text[1:] if negative else text
        if not flux_lexer.is_duration(literal):
            raise ValueError(f"invalid duration {text!r}")
        return cls(tuple(flux_lexer.duration_parts(literal)), negative)

    def __str__(self) -> str:
        sign = "-" if self.negative and not self.is_zero() else ""
        return sign + "".join(f"{magnitude}{unit}" for magnitude, unit in self.parts)

    def is_zero(self) -> bool:
        return all(magnitude == 0 for magnitude, _ in self.parts)

    def nanoseconds(self) -> int:
        total = sum(magnitude * NANOS[unit] for magnitude, unit in self.parts)
        return -total if self.negative else total

    def go_seconds(self) -> int:
        """Whole seconds as Go's time.ParseDuration reads the literal (hours at most)."""
        unknown = [unit for _, unit in self.parts if unit not in GO_UNITS]
        if unknown:
            raise ValueError(f'time: unknown unit "{unknown[0]}" in duration "{self}"')
        return int(self.nanoseconds() / 10**9)


@dataclass
class TaskOptions:
    name: str = ""
    every: Duration | None = None
    cron: str = ""
    offset: Duration | None = None
    concurrency: int | None = None
    retry: int | None = None


@dataclass
class _Property:
    key: str
    value: list[Token] = field(default_factory=list)

    def source(self, script: str) -> str:
        return script[self.value[0].start:self.value[-1].end] if self.value else ""


@dataclass
class _Record:
    """The `option task = {...}` statement: where it is and its properties."""

    start: int
    end: int
    properties: list[_Property]

    def get(self, key: str) -> _Property | None:
        return next((p for p in self.properties if p.key == key), None)


def extract_options(script: str) -> TaskOptions:
    """The task options of a script, or TaskOptionError with the server's detail."""
    record = _task_record(script)
    options = TaskOptions(name=_string_option(record, "name", required=True) or "")
    cron, every = record.get("cron"), record.get("every")
    if cron and every:
        raise TaskOptionError("cannot use both cron and every in task options")
    if not cron and not every:
        raise TaskOptionError("missing required option: cron or every")
    if cron:
        options.cron = _string_option(record, "cron") or ""
    else:
        options.every = _duration_option(every, allow_negative=False)
    offset = record.get("offset")
    if offset:
        options.offset = _duration_option(offset, allow_negative=True)
    options.concurrency = _int_option(record.get("concurrency"))
    options.retry = _int_option(record.get("retry"))
    _validate(options)
    return options


def rewrite_options(script: str, *, name: str = "", every: Duration | None = None,
                    cron: str = "", offset: Duration | None = None) -> str:
    """The script with its task record edited and the whole text reformatted (UpdateFlux).

    Existing properties keep their place (the schedule property turns into every or cron as
    sent), a zero offset removes the offset, options the record lacked are appended.
    """
    tokens = flux_lexer.tokenize(script)  # a FluxSyntaxError fails the update, as in influxdb
    statements = _task_statements(tokens)
    if not statements:
        raise ValueError("unable to edit option")
    record = _record_at(script, tokens, statements[0])
    edits = {"name": name and flux_lexer.string_literal(name),
             "every": every and not every.is_zero() and str(every),
             "cron": cron and flux_lexer.string_literal(cron),
             "offset": offset and not offset.is_zero() and str(offset)}
    edits = {key: text for key, text in edits.items() if text}
    drop_offset = offset is not None and offset.is_zero()
    edited = []
    for prop in record.properties:
        key = prop.key
        if key == "offset" and drop_offset:
            continue
        if key in ("every", "cron"):
            key = next((k for k in ("every", "cron") if k in edits), key)
        edited.append((key, edits.pop(key, None) or prop.source(script)))
    edited += edits.items()
    statement = "option task = {" + ", ".join(f"{key}: {text}" for key, text in edited) + "}"
    return _reformat(script[:record.start] + statement + "\n\n" + script[record.end:])


def _reformat(script: str) -> str:
    """Stand-in for the Flux formatter, the same as influxd's on formatted scripts (such as the
    program's): trailing blanks and runs of empty lines go, the text ends with a newline. It
    does not re-space expressions or move comments as the real formatter does."""
    lines = [line.rstrip() for line in script.strip().splitlines()]
    kept = [line for i, line in enumerate(lines) if line or (i and lines[i - 1])]
    return "\n".join(kept) + "\n"


def _task_record(script: str) -> _Record:
    try:
        tokens = flux_lexer.tokenize(script)
    except flux_lexer.FluxSyntaxError as error:
        raise TaskOptionError(str(error)) from None
    statements = _task_statements(tokens)
    if len(statements) > 1:
        raise TaskOptionError("multiple task options defined")
    if not statements:
        raise TaskOptionError("no task options defined")
    return _record_at(script, tokens, statements[0])


def _task_statements(tokens: list[Token]) -> list[int]:
    """Indexes of the `=` of every top-level `option task = ...` statement."""
    found = []
    depth = 0
    for i, token in enumerate(tokens):
        if token.kind == flux_lexer.PUNCT and token.text in "([{":
            depth += 1
        elif token.kind == flux_lexer.PUNCT and token.text in ")]}":
            depth -= 1
        elif (depth == 0 and token.text == "option" and i + 2 < len(tokens)
              and tokens[i + 1].text == "task" and tokens[i + 2].text == "="):
            found.append(i + 2)
    return found


def _record_at(script: str, tokens: list[Token], equals: int) -> _Record:
    statement_start = tokens[equals - 2].start
    if equals + 1 >= len(tokens) or tokens[equals + 1].text != "{":
        # influxdb formats the type of a nil *ObjectExpression here, so the message always
        # names ObjectExpression whatever the value is (options.errTaskOptionNotObjectExpression).
        raise TaskOptionError(
            'task option expected to be object literal, but found "ObjectExpression"')
    close = _matching_close(tokens, equals + 1)
    body = tokens[equals + 2:close]
    if len(body) >= 2 and body[1].text == "with":
        body = body[2:]
    return _Record(statement_start, tokens[close].end, _properties(body))


def _matching_close(tokens: list[Token], open_index: int) -> int:
    depth = 0
    for i in range(open_index, len(tokens)):
        if tokens[i].kind == flux_lexer.PUNCT and tokens[i].text in "([{":
            depth += 1
        elif tokens[i].kind == flux_lexer.PUNCT and tokens[i].text in ")]}":
            depth -= 1
            if depth == 0:
                return i
    raise AssertionError("brackets were checked by the tokenizer")


def _properties(body: list[Token]) -> list[_Property]:
    properties: list[_Property] = []
    current: list[Token] = []
    depth = 0
    for token in [*body, None]:
        if token is None or (depth == 0 and token.text == ","):
            if current:
                key = current[0]
                name = flux_lexer.string_value(key.text) if key.kind == flux_lexer.STRING \
                    else key.text
                value = current[2:] if len(current) > 1 and current[1].text == ":" else []
                properties.append(_Property(name, value))
            current = []
            continue
        if token.kind == flux_lexer.PUNCT and token.text in "([{":
            depth += 1
        elif token.kind == flux_lexer.PUNCT and token.text in ")]}":
            depth -= 1
        current.append(token)
    return properties


def _parse_field_error(key: str) -> TaskOptionError:
    return TaskOptionError(f"failed to parse field '{key}' in task options")


def _string_option(record: _Record, key: str, required: bool = False) -> str | None:
    prop = record.get(key)
    if prop is None:
        if required:
            raise TaskOptionError(f"missing required option: {key}")
        return None
    value = prop.value
    if len(value) != 1 or value[0].kind != flux_lexer.STRING or "${" in value[0].text:
        raise _parse_field_error(key)
    return flux_lexer.string_value(value[0].text)


def _duration_option(prop: _Property, allow_negative: bool) -> Duration:
    value = prop.value
    negated = allow_negative and len(value) == 2 and value[0].text == "-"
    literal = value[-1] if value else None
    if literal is None or literal.kind != flux_lexer.DURATION or len(value) != 1 + negated:
        raise _parse_field_error(prop.key)
    return Duration.parse(("-" if negated else "") + literal.text)


def _int_option(prop: _Property | None) -> int | None:
    if prop is None:
        return None
    if len(prop.value) != 1 or prop.value[0].kind != flux_lexer.INT:
        raise _parse_field_error(prop.key)
    return int(prop.value[0].text)


def _validate(options: TaskOptions) -> None:
    """Options.Validate: every problem found, joined (its own "invalid options: " prefix too)."""
    problems = []
    if not options.name:
        problems.append("name required")
    every_present = options.every is not None and not options.every.is_zero()
    if bool(options.cron) == every_present:
        problems.append("must specify exactly one of either cron or every")
    elif options.cron:
        problem = cron_problem(options.cron)
        if problem:
            problems.append("cron invalid: " + problem)
    elif options.every is not None:
        every = options.every.nanoseconds()
        if every < 10**9:
            problems.append("every option must be at least 1 second")
        elif every % 10**9:
            problems.append("every option must be expressible as whole seconds")
    if options.offset is not None and options.offset.nanoseconds() % 10**9:
        problems.append("offset option must be expressible as whole seconds")
    problems += _bounds_problems("concurrency", options.concurrency, MAX_CONCURRENCY)
    problems += _bounds_problems("retry", options.retry, MAX_RETRY)
    if problems:
        raise TaskOptionError("invalid options: " + ", ".join(problems))


def _bounds_problems(name: str, value: int | None, maximum: int) -> list[str]:
    if value is None:
        return []
    if value < 1:
        return [f"{name} must be at least 1"]
    if value > maximum:
        return [f"{name} exceeded max of {maximum}"]
    return []


_CRON_SHORTHANDS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                    "@hourly")
_CRON_FIELD_CHARS = set("0123456789*/,-?LW#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def cron_problem(expression: str) -> str | None:
    """Why influxdata/cron would reject the expression, or None (a shape check, not a parser)."""
    if expression.startswith("@every "):
        try:
            Duration.parse(expression.removeprefix("@every ").strip())
        except ValueError:
            return f"invalid duration in {expression!r}"
        return None
    if expression in _CRON_SHORTHANDS:
        return None
    fields = expression.split()
    if not 5 <= len(fields) <= 7:
        return f"{expression!r} must have between 5 and 7 fields"
    bad = next((f for f in fields if not set(f) <= _CRON_FIELD_CHARS), None)
    return f"invalid field {bad!r}" if bad else None
