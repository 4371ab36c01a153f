"""Flux task scripts for the monitoring of an InfluxDB v2 org, rendered from Jinja2 templates."""

from flux.literals import TemplateError
from flux.settings import TaskSettings
from flux.tasks import TaskSpec, app_tasks, global_tasks, task_name

__all__ = ["TaskSettings", "TaskSpec", "TemplateError", "app_tasks", "global_tasks", "task_name"]
