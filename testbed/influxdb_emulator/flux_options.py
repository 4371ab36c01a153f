"""The emulator's edits of a task's `option task = {...}` record, and its Go reading of offsets.

Reading the record (influxdb's `FromScriptAST` and `Options.Validate`) is the project's own
`flux/options.py`, shared with the Task provider's check(); this module adds only what the server
does beyond it: `rewrite_options` is `TaskUpdate.UpdateFlux`, which edits the record for
name/every/cron/offset and stores the reformatted script, not the text the client sent; and
`go_seconds` is how the server turns a task's offset into the time.Duration it stores.
"""

from __future__ import annotations

from flux import syntax
from flux.literals import flux_string
from flux.options import Duration, TaskProperty, first_task_record, matching_close, task_statements

# Go's time.ParseDuration knows no unit above the hour.
GO_UNITS = ("ns", "us", "µs", "ms", "s", "m", "h")


def go_seconds(duration: Duration) -> int:
    """Whole seconds as Go's time.ParseDuration reads the literal; ValueError (Go's message) for a
    unit above the hour."""
    unknown = [unit for _, unit in duration.parts if unit not in GO_UNITS]
    if unknown:
        raise ValueError(f'time: unknown unit "{unknown[0]}" in duration "{duration}"')
    return int(duration.nanoseconds() / 10**9)


def rewrite_options(script: str, *, name: str = "", every: Duration | None = None,
                    cron: str = "", offset: Duration | None = None) -> str:
    """The script with its task record edited and the whole text reformatted (UpdateFlux).

    Existing properties keep their place (the schedule property turns into every or cron as
    sent), a zero offset removes the offset, options the record lacked are appended.
    """
    tokens = syntax.tokenize(script)  # a FluxSyntaxError fails the update, as in influxdb
    record = first_task_record(tokens)
    if record is None:
        raise ValueError("unable to edit option")
    start, end = _statement_span(tokens)
    edits = {"name": name and flux_string(name),
             "every": every and not every.is_zero() and str(every),
             "cron": cron and flux_string(cron),
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
        edited.append((key, edits.pop(key, None) or _source(script, prop)))
    edited += edits.items()
    statement = "option task = {" + ", ".join(f"{key}: {text}" for key, text in edited) + "}"
    return _reformat(script[:start] + statement + "\n\n" + script[end:])


def _statement_span(tokens: list[syntax.Token]) -> tuple[int, int]:
    """Where the first `option task = {...}` statement starts and ends in the script."""
    equals = task_statements(tokens)[0]
    return tokens[equals - 2].start, tokens[matching_close(tokens, equals + 1)].end


def _source(script: str, prop: TaskProperty) -> str:
    """A property's value as the script writes it."""
    return script[prop.value[0].start:prop.value[-1].end] if prop.value else ""


def _reformat(script: str) -> str:
    """Stand-in for the Flux formatter, the same as influxd's on formatted scripts (such as the
    program's): trailing blanks and runs of empty lines go, the text ends with a newline. It
    does not re-space expressions or move comments as the real formatter does."""
    lines = [line.rstrip() for line in script.strip().splitlines()]
    kept = [line for i, line in enumerate(lines) if line or (i and lines[i - 1])]
    return "\n".join(kept) + "\n"
