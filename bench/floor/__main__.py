"""As many dynamic resources as `resources` says, none of which calls an API."""

import pulumi

from bench.floor.noop import Noop

for number in range(pulumi.Config().require_int("resources")):
    Noop(f"r{number:05d}")
