"""A test's pods, and how Kubernetes shows them: the `Pod` objects of the API server's pod list
(also the kubelet's `/pods`), as Telegraf's kube_inventory decodes them.

A pod is described by what matters to an alert (phase, each container's state, reason, restart
count, readiness, resources and use); everything else a real pod carries is filled in as the API
server fills it, so Telegraf writes every tag and field it writes in a cluster. The invariant:
a `Container` in state "unknown" has no status at all, as before the kubelet reports one.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

STATES = ("running", "terminated", "waiting", "unknown")
CREATED = "2026-01-05T08:00:00Z"
STARTED = "2026-01-05T08:00:05Z"
EXIT_CODES = {"Completed": 0, "OOMKilled": 137}  # a terminated container's, by reason; else 1


@dataclass(frozen=True)
class Container:
    """One container of a pod: its state as the kubelet reports it, and its resources.

    `requests` and `limits` are Kubernetes quantities by resource ("cpu": "500m", "memory":
    "1Gi"); `cpu_nanocores` and `memory_bytes` are its use, which only a running container has.
    """

    name: str
    state: str = "running"
    reason: str = ""
    restarts: int = 0
    ready: bool | None = None  # None: ready exactly when running
    image: str = "ghcr.io/lsst-sqre/app:1.2.3"
    requests: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)
    cpu_nanocores: int = 2_000_000
    memory_bytes: int = 64 * 2**20

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"Container {self.name!r}: state {self.state!r} is not one of "
                             f"{', '.join(STATES)}")

    @property
    def is_ready(self) -> bool:
        return self.state == "running" if self.ready is None else self.ready


@dataclass(frozen=True)
class Pod:
    """A pod: its phase (and the reason Kubernetes gives for it), containers and node.

    `conditions` overrides the conditions Kubernetes would derive ((type, status) pairs);
    `created` is its creation time (a pod recreated under the same name has a later one).
    """

    namespace: str
    name: str
    containers: tuple[Container, ...]
    phase: str = "Running"
    reason: str = ""
    node: str = "node-1"
    init_containers: tuple[Container, ...] = ()
    conditions: tuple[tuple[str, str], ...] | None = None
    created: str = CREATED

    @property
    def uid(self) -> str:
        """A stable uid per pod name and creation (a recreated pod has another)."""
        seed = zlib.crc32(f"{self.namespace}/{self.name}@{self.created}".encode())
        return f"{seed:08x}-0000-4000-8000-000000000000"


def manifest(pod: Pod) -> dict:
    """The pod as the API server lists it (`GET /api/v1/pods`, one of `items`)."""
    status = {"phase": pod.phase, "conditions": _conditions(pod),
              "containerStatuses": [_status(c) for c in pod.containers if c.state != "unknown"],
              "initContainerStatuses": [_status(c) for c in pod.init_containers
                                        if c.state != "unknown"]}
    if pod.reason:
        status["reason"] = pod.reason
    return {
        "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid,
                     "creationTimestamp": pod.created, "labels": {"app": pod.name}},
        "spec": {"nodeName": pod.node, "containers": [_spec(c) for c in pod.containers],
                 "initContainers": [_spec(c) for c in pod.init_containers]},
        "status": status,
    }


def pod_list(pods: list[Pod]) -> dict:
    """A `PodList` of the pods, as the API server (and the kubelet's `/pods`) answers."""
    return {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
            "items": [manifest(pod) for pod in pods]}


def _spec(container: Container) -> dict:
    resources = {kind: dict(values) for kind, values in
                 (("requests", container.requests), ("limits", container.limits)) if values}
    return {"name": container.name, "image": container.image, "resources": resources}


def _status(container: Container) -> dict:
    status = {"name": container.name, "ready": container.is_ready,
              "restartCount": container.restarts, "image": container.image,
              "imageID": f"{container.image}@sha256:{'0' * 64}",
              "started": container.state == "running", "state": _state(container)}
    if container.restarts:
        status["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                              "startedAt": CREATED, "finishedAt": STARTED}}
    return status


def _state(container: Container) -> dict:
    if container.state == "running":
        return {"running": {"startedAt": STARTED}}
    if container.state == "waiting":
        return {"waiting": {"reason": container.reason} if container.reason else {}}
    return {"terminated": {"exitCode": EXIT_CODES.get(container.reason, 1),
                           "reason": container.reason,
                           "startedAt": CREATED, "finishedAt": STARTED}}


def _conditions(pod: Pod) -> list[dict]:
    """The pod's conditions as given, or as Kubernetes sets them: scheduled once any container
    has a status, ready when every container is."""
    if pod.conditions is None:
        scheduled = any(c.state != "unknown" for c in pod.containers)
        ready = scheduled and all(c.is_ready for c in pod.containers)
        pairs = [("PodScheduled", scheduled)]
        if scheduled:
            pairs += [("Initialized", True), ("ContainersReady", ready), ("Ready", ready)]
        given = [(kind, "True" if value else "False") for kind, value in pairs]
    else:
        given = list(pod.conditions)
    return [{"type": kind, "status": status, "lastProbeTime": None,
             "lastTransitionTime": STARTED} for kind, status in given]
