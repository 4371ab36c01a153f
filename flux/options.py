"""The `option task = {...}` record of a Flux script, read as influxd reads it.

Follows influxdb task/options `FromScriptAST` (what 2.7 runs when a task is created or its Flux
changes): exactly one top-level `option task` assignment, a record, `name` a plain string literal,
exactly one of `every` (a duration literal) or `cron` (a string literal), an optional `offset` (a
duration, possibly negative), `concurrency` and `retry` integers; then `Options.Validate`. Every
failure is a TaskOptionError whose text the server reports as "invalid options: <text>".

The Task provider's check() and the emulator read scripts here, on the tokens of flux/syntax.py,
so a name that the renderer escapes is read back as the name it was, whatever it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flux import syntax
from flux.syntax import Token

_DEPTH = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}  # a bracket's step in nesting
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
        parts = syntax.duration_parts(literal)
        if parts is None:
            raise ValueError(f"invalid duration {text!r}")
        return cls(tuple(parts), negative)

    def __str__(self) -> str:
        sign = "-" if self.negative and not self.is_zero() else ""
        return sign + "".join(f"{magnitude}{unit}" for magnitude, unit in self.parts)

    def is_zero(self) -> bool:
        return all(magnitude == 0 for magnitude, _ in self.parts)

    def nanoseconds(self) -> int:
        """Its length, months and years approximated (flux/syntax.py, CALENDAR_NS): close enough
        to validate, as no option here needs more than whole seconds."""
        total = syntax.parts_ns(self.parts)
        return -total if self.negative else total


@dataclass
class TaskOptions:
    name: str = ""
    every: Duration | None = None
    cron: str = ""
    offset: Duration | None = None
    concurrency: int | None = None
    retry: int | None = None


@dataclass
class TaskProperty:
    key: str
    value: list[Token] = field(default_factory=list)


@dataclass
class TaskRecord:
    """The properties of the `option task = {...}` record."""

    properties: list[TaskProperty]

    def get(self, key: str) -> TaskProperty | None:
        return next((p for p in self.properties if p.key == key), None)


def read_task_options(script: str) -> TaskOptions:
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


def _task_record(script: str) -> TaskRecord:
    try:
        tokens = syntax.tokenize(script)
    except syntax.FluxSyntaxError as error:
        raise TaskOptionError(str(error)) from None
    statements = len(task_statements(tokens))
    if statements != 1:
        raise TaskOptionError("multiple task options defined" if statements
                              else "no task options defined")
    return first_task_record(tokens)


def first_task_record(tokens: list[Token]) -> TaskRecord | None:
    """The first top-level `option task = {...}` record of the script's tokens, if any;
    TaskOptionError when its value is not a record."""
    statements = task_statements(tokens)
    return _record_at(tokens, statements[0]) if statements else None


def task_statements(tokens: list[Token]) -> list[int]:
    """Indexes of the `=` of every top-level `option task = ...` statement."""
    found = []
    depth = 0
    for i, token in enumerate(tokens):
        if token.kind == syntax.PUNCT:
            depth += _DEPTH.get(token.text, 0)
        elif (depth == 0 and token.text == "option" and i + 2 < len(tokens)
              and tokens[i + 1].text == "task" and tokens[i + 2].text == "="):
            found.append(i + 2)
    return found


def _record_at(tokens: list[Token], equals: int) -> TaskRecord:
    if equals + 1 >= len(tokens) or tokens[equals + 1].text != "{":
        # influxdb formats the type of a nil *ObjectExpression here, so the message always
        # names ObjectExpression whatever the value is (options.errTaskOptionNotObjectExpression).
        raise TaskOptionError(
            'task option expected to be object literal, but found "ObjectExpression"')
    close = matching_close(tokens, equals + 1)
    body = tokens[equals + 2:close]
    if len(body) >= 2 and body[1].text == "with":
        body = body[2:]
    return TaskRecord(_properties(body))


def matching_close(tokens: list[Token], open_index: int) -> int:
    """The index of the bracket closing the one at `open_index` (the tokenizer checked them)."""
    depth = 0
    for i in range(open_index, len(tokens)):
        if tokens[i].is_punct("([{"):
            depth += 1
        elif tokens[i].is_punct(")]}"):
            depth -= 1
            if depth == 0:
                return i
    raise AssertionError("brackets were checked by the tokenizer")


def _properties(body: list[Token]) -> list[TaskProperty]:
    properties: list[TaskProperty] = []
    current: list[Token] = []
    depth = 0
    for token in [*body, None]:
        if token is None or (depth == 0 and token.text == ","):
            if current:
                key = current[0]
                name = syntax.string_value(key.text) if key.kind == syntax.STRING \
                    else key.text
                value = current[2:] if len(current) > 1 and current[1].text == ":" else []
                properties.append(TaskProperty(name, value))
            current = []
            continue
        if token.is_punct("([{"):
            depth += 1
        elif token.is_punct(")]}"):
            depth -= 1
        current.append(token)
    return properties


def _parse_field_error(key: str) -> TaskOptionError:
    return TaskOptionError(f"failed to parse field '{key}' in task options")


def _string_option(record: TaskRecord, key: str, required: bool = False) -> str | None:
    prop = record.get(key)
    if prop is None:
        if required:
            raise TaskOptionError(f"missing required option: {key}")
        return None
    value = prop.value
    if len(value) != 1 or value[0].kind != syntax.STRING:  # an interpolation is refused too
        raise _parse_field_error(key)
    try:
        return syntax.string_value(value[0].text)
    except ValueError:
        raise _parse_field_error(key) from None


def _duration_option(prop: TaskProperty, allow_negative: bool) -> Duration:
    value = prop.value
    negated = allow_negative and len(value) == 2 and value[0].text == "-"
    literal = value[-1] if value else None
    if literal is None or literal.kind != syntax.DURATION or len(value) != 1 + negated:
        raise _parse_field_error(prop.key)
    return Duration.parse(("-" if negated else "") + literal.text)


def _int_option(prop: TaskProperty | None) -> int | None:
    if prop is None:
        return None
    if len(prop.value) != 1 or prop.value[0].kind != syntax.INT:
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


def script_problem(script: str, name: str | None = None) -> str | None:
    """Why InfluxDB would refuse the script's task options, or read a task name other than
    `name` from them (completing "flux ..."); None when it would take the script as it is."""
    try:
        options = read_task_options(script)
    except TaskOptionError as error:
        return f"has a task option record InfluxDB refuses: {error}"
    if name is not None and options.name != name:
        return (f"names the task {options.name!r} in its option record, but the name input is "
                f"{name!r}")
    return None
