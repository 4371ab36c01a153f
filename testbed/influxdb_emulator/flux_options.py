"""The emulator's edits of a task's `option task = {...}` record.

Reading the record (influxdb's `FromScriptAST` and `Options.Validate`) is the project's own
`flux/options.py`, shared with the Task provider's check(); this module adds only what the server
does on a PATCH: `rewrite_options` is `TaskUpdate.UpdateFlux`, which edits the record for
name/every/cron/offset and stores the reformatted script, not the text the client sent.
"""

from __future__ import annotations

from flux import syntax
from flux.literals import flux_string
from flux.options import Duration, first_task_record


def rewrite_options(script: str, *, name: str = "", every: Duration | None = None,
                    cron: str = "", offset: Duration | None = None) -> str:
    """The script with its task record edited and the whole text reformatted (UpdateFlux).

    Existing properties keep their place (the schedule property turns into every or cron as
    sent), a zero offset removes the offset, options the record lacked are appended.
    """
    tokens = syntax.tokenize(script)  # a FluxSyntaxError fails the update, as in influxdb
    record = first_task_record(script, tokens)
    if record is None:
        raise ValueError("unable to edit option")
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
