"""Draw docs/images/daemon_tick.png: who talks to whom on one sensor tick, in order.

    .venv/bin/python scripts/draw_daemon_picture.py [OUTPUT.png]

A sequence diagram: one column per part (the daemon, the code server, the sensor function, the
instance, the run queue, the run worker, DuckDB) and one numbered arrow per message, top to bottom
in the order of a tick. Each message is checked against Dagster 1.13.27's source; lesson 05 lists
where (a `<details>` under the picture). `tests/test_daemon_picture.py` checks that this script
redraws the committed picture.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: draw to a file

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

REPO_DIR = Path(__file__).resolve().parent.parent
OUTPUT = REPO_DIR / "docs" / "images" / "daemon_tick.png"

# The parts, left to right: (title, what it is).
PARTS = [
    ("Daemon", "sensor loop,\ndagster-daemon"),
    ("Code server", "loads your code\n(gRPC)"),
    ("Sensor function", "your code, run by\nthe code server"),
    ("Instance", "stored cursor, ticks,\npartitions, runs"),
    ("Run queue", "in dagster-daemon"),
    ("Run worker", "one process\nper run"),
    ("DuckDB", "the warehouse"),
]
DAEMON, CODE_SERVER, SENSOR, INSTANCE, QUEUE, WORKER, DUCKDB = range(len(PARTS))

# The tick's messages, in order: (from, to, label, is_reply). A reply is drawn dashed.
MESSAGES = [
    (DAEMON, INSTANCE, "read the stored cursor", False),
    (DAEMON, CODE_SERVER, "evaluate the sensor (cursor)", False),
    (CODE_SERVER, SENSOR, "evaluate_tick(context)", False),
    (SENSOR, CODE_SERVER, "requests + new cursor", True),
    (CODE_SERVER, DAEMON, "the tick's result", True),
    (DAEMON, INSTANCE, "add the requested dynamic partitions", False),
    (DAEMON, INSTANCE, "run-key check: has this sensor run this key?", False),
    (DAEMON, QUEUE, "create each run not skipped, queue it", False),
    (DAEMON, INSTANCE, "store the tick and the new cursor", False),
    (QUEUE, CODE_SERVER, "launch the run (pool slots permitting)", False),
    (CODE_SERVER, WORKER, "start a process for the run", False),
    (WORKER, DUCKDB, "load the file's rows", False),
    (WORKER, INSTANCE, "record the run's events and status", False),
]

COLUMN_GAP = 2.4  # inches between lifelines
ROW_GAP = 0.52  # inches between messages
TOP = 1.45  # inches from the top to the first message
COLORS = {
    DAEMON: "#cfe2f3",
    QUEUE: "#cfe2f3",
    CODE_SERVER: "#d9ead3",
    SENSOR: "#d9ead3",
    WORKER: "#d9ead3",
    INSTANCE: "#fff2cc",
    DUCKDB: "#f4cccc",
}


def draw(output: Path = OUTPUT) -> Path:
    width = COLUMN_GAP * len(PARTS)
    height = TOP + ROW_GAP * len(MESSAGES) + 0.55
    figure = plt.figure(figsize=(width, height), dpi=100)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)  # y grows downwards, like the tick's time
    axes.axis("off")

    x = [COLUMN_GAP * (index + 0.5) for index in range(len(PARTS))]
    bottom = TOP + ROW_GAP * (len(MESSAGES) - 0.5)
    for index, (title, subtitle) in enumerate(PARTS):
        box = FancyBboxPatch(
            (x[index] - 1.0, 0.12),
            2.0,
            0.95,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=COLORS[index],
            edgecolor="#444444",
            linewidth=1.2,
        )
        axes.add_patch(box)
        axes.text(x[index], 0.36, title, ha="center", va="center", fontsize=13, fontweight="bold")
        axes.text(x[index], 0.78, subtitle, ha="center", va="center", fontsize=10, color="#333333")
        axes.plot([x[index], x[index]], [1.1, bottom], color="#999999", linewidth=1.2, linestyle=(0, (4, 3)))

    for number, (source, target, label, is_reply) in enumerate(MESSAGES, start=1):
        y = TOP + ROW_GAP * (number - 1)
        arrow = FancyArrowPatch(
            (x[source], y),
            (x[target], y),
            arrowstyle="-|>",
            mutation_scale=16,
            color="#555555" if is_reply else "#1f4e79",
            linewidth=1.6,
            linestyle="--" if is_reply else "-",
            shrinkA=4,
            shrinkB=4,
        )
        axes.add_patch(arrow)
        middle = (x[source] + x[target]) / 2
        axes.text(
            middle,
            y - 0.06,
            label,
            ha="center",
            va="bottom",
            fontsize=10.5,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )
        # The number sits by the arrow's tail, on the side away from the arrow.
        offset = -0.22 if target > source else 0.22
        axes.text(
            x[source] + offset,
            y,
            str(number),
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold",
            color="white",
            bbox={"boxstyle": "circle,pad=0.2", "facecolor": "#1f4e79", "edgecolor": "none"},
        )

    axes.text(
        0.15,
        height - 0.25,
        "One sensor tick: 1-9 in the daemon's tick, 10-13 afterwards, for each run it queued. Dashed: a reply.",
        ha="left",
        va="center",
        fontsize=10,
        color="#333333",
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    # No metadata that changes between runs (the Software key names the version; no date is written).
    figure.savefig(output, dpi=100, metadata={"Software": None})
    plt.close(figure)
    return output


if __name__ == "__main__":
    print("wrote", draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT))
