"""The policy pack the Pulumi CLI starts (`--policy-pack policy`): it only serves rules.POLICIES.

Constructing PolicyPack starts its gRPC server and blocks, so the tests import `policy.rules`,
never this file. The CLI runs it with this folder first on sys.path, hence the plain `rules`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack
from rules import POLICIES

PolicyPack(name="rubin-influx-tools", policies=POLICIES,
           enforcement_level=EnforcementLevel.MANDATORY)
