"""The steady state's plot: the share of one core influxd spends on the monitoring at the default
schedule against the apps, one line per task kind and one for them all, a panel per number of
pods per app. Needs matplotlib (a dev dependency): only the report imports this module, and only
when it has steady runs."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: the plot is only written to a file

import matplotlib.pyplot as plt
from matplotlib.ticker import ScalarFormatter

TARGET_PERCENT = 1.0
FLOOR_PERCENT = 0.005  # a kind measured at 0 s is drawn here: a log axis has no 0


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
            ax.plot(apps, [percent(run["kinds"][kind]["core_share"]) for run in sized],
                    marker="o", label=kind)
        ax.plot(apps, [percent(run["core_share"]) for run in sized], marker="s", color="black",
                linewidth=2, label="all")
        ax.axhline(TARGET_PERCENT, color="grey", linestyle="--", label="target, 100 apps of 5 pods")
        ax.set(xscale="log", yscale="log", xlabel="apps", xticks=apps,
               title=f"{count} pods of 2 containers per app")
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("% of one core at the default schedule")
    axes[0][-1].legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def percent(share: float) -> float:
    return max(share * 100, FLOOR_PERCENT)
