"""Dynamic Pulumi providers for InfluxDB v2: buckets, DBRP mappings, tokens, tasks, dashboards
and their variables.

Module paths and class names are part of every stack's state (each resource pickles its provider
by reference), so they must not change. Importing this package has no side effects.
"""

from providers.authorization import AuthorizationToken
from providers.bucket import Bucket
from providers.dashboard import Dashboard
from providers.dbrp import Dbrp
from providers.task import Task
from providers.variable import Variable

__all__ = ["AuthorizationToken", "Bucket", "Dashboard", "Dbrp", "Task", "Variable"]
