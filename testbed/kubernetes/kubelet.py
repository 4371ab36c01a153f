"""The kubelet's answers that Telegraf's `kubernetes` input reads: `/stats/summary` (the node's and
each running container's CPU and memory use) and `/pods` (the pods it runs, for their images).

Only running containers have stats, as cAdvisor only measures what runs.
"""

from __future__ import annotations

from testbed.kubernetes.pods import STARTED, Container, Pod, pod_list

NODE = "node-1"


def summary(pods: list[Pod]) -> dict:
    """The `/stats/summary` document of a node running the pods."""
    return {"node": {"nodeName": NODE, "startTime": STARTED,
                     "cpu": _cpu(sum(c.cpu_nanocores for pod in pods for c in _running(pod))),
                     "memory": _memory(sum(c.memory_bytes for pod in pods for c in _running(pod))),
                     "systemContainers": []},
            "pods": [_pod_stats(pod) for pod in pods]}


def _pod_stats(pod: Pod) -> dict:
    return {"podRef": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
            "startTime": STARTED,
            "containers": [{"name": c.name, "startTime": STARTED, "cpu": _cpu(c.cpu_nanocores),
                            "memory": _memory(c.memory_bytes),
                            "rootfs": _fs(), "logs": _fs()} for c in _running(pod)],
            "network": {"time": STARTED, "rxBytes": 1000, "rxErrors": 0, "txBytes": 2000,
                        "txErrors": 0},
            "volume": []}


def _running(pod: Pod) -> list[Container]:
    return [c for c in pod.containers if c.state == "running"]


def _cpu(nanocores: int) -> dict:
    return {"time": STARTED, "usageNanoCores": nanocores,
            "usageCoreNanoSeconds": nanocores * 3600}


def _memory(used: int) -> dict:
    return {"time": STARTED, "usageBytes": used, "workingSetBytes": used, "rssBytes": used // 2,
            "pageFaults": 100, "majorPageFaults": 0}


def _fs() -> dict:
    return {"availableBytes": 9 * 2**30, "capacityBytes": 10 * 2**30, "usedBytes": 2**30}


ROUTES = {"/stats/summary": summary, "/pods": pod_list}
