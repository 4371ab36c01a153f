"""The steady state's plot: influxd's CPU seconds per cycle against the apps, one line per task
kind and one for them all, a panel per number of pods per app. Needs matplotlib (a dev
dependency): only the report imports this module, and only when it has steady runs."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: the plot is only written to a file

import matplotlib.pyplot as plt


def plot_steady(runs: list[dict], path: Path) -> None:
    """Write the plot of `runs` (bench/steady.py's) as a PNG to `path`."""
    pods = sorted({run["pods"] for run in runs})
    figure, axes = plt.subplots(1, len(pods), figsize=(6 * len(pods), 4.5), squeeze=False,
                                sharey=True)
    for ax, count in zip(axes[0], pods, strict=True):
        sized = sorted((run for run in runs if run["pods"] == count),
                       key=lambda run: run["buckets"])
        apps = [run["buckets"] for run in sized]
        for kind in sized[0]["kinds"]:
            ax.plot(apps, [max(run["kinds"][kind]["cpu_per_cycle"], 1e-3) for run in sized],
                    marker="o", label=kind)
        ax.plot(apps, [max(sum(k["cpu_per_cycle"] for k in run["kinds"].values()), 1e-3)
                       for run in sized], marker="s", color="black", linewidth=2, label="all")
        ax.set(xscale="log", yscale="log", xlabel="apps",
               title=f"{count} pods of 2 containers per app")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("influxd CPU seconds per cycle")
    axes[0][-1].legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
