"""The Jinja2 environment that turns templates/*.flux.j2 into Flux task scripts."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

from flux.literals import flux_string
from flux.posts import flux_time, link_expression, silence_regex

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def environment() -> jinja2.Environment:
    """Strict (an unknown variable is an error) and not HTML-escaped: the output is Flux.

    Values reach string literals only through the `flux_string` filter, which adds the quotes.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["flux_string"] = _flux_string_filter
    env.filters.update(flux_time=flux_time, link_expression=link_expression,
                       silence_regex=silence_regex)
    return env


def _flux_string_filter(value: object) -> str:
    if isinstance(value, jinja2.Undefined):
        str(value)  # a missing variable fails as UndefinedError naming it, not as "not a string"
    return flux_string(value)


def render(template: str, context: dict[str, Any]) -> str:
    """Render one task template with its context."""
    return environment().get_template(template).render(context)
