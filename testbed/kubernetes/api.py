"""The Kubernetes API server's answer that Telegraf's `kube_inventory` input reads: the pod list
of every namespace (`GET /api/v1/pods`, what it asks with `namespace = ""` and
`resource_include = ["pods"]`)."""

from __future__ import annotations

from testbed.kubernetes.pods import pod_list

ROUTES = {"/api/v1/pods": pod_list}
