"""A fake Kubernetes on loopback, for the real Telegraf to read: the API server's pod list (what
`inputs.kube_inventory` asks) and a kubelet's stats and pods (what `inputs.kubernetes` asks),
both serving the pods a test describes (`pods.py`)."""
