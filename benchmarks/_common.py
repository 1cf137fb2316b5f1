"""Timing and reporting helpers shared by the benchmark scripts.

Every script measures its candidates side by side in one process: the
candidates run interleaved (A, B, C, A, B, C, ...) after an untimed warm-up,
so that a load change on the machine hits all of them alike, and the figures
reported are medians over the repeats. Each script prints markdown tables and
writes a JSON file (`--output`) with the same numbers plus a description of
the machine.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time


def parse_args(description, default_output, extra=None):
    """Parses the options every benchmark script takes.

    `extra(parser)` may add script-specific options.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and few repeats: checks the script runs (CI smoke "
        "test); the figures are not meaningful",
    )
    parser.add_argument(
        "--output",
        default=default_output,
        help=f"where to write the JSON results (default: {default_output})",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed repeats per candidate (default: the script's)",
    )
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info():
    """A description of the machine and the library versions."""
    info = {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    for module in ("numpy", "tensorflow", "keras", "skimage"):
        try:
            info[module] = __import__(module).__version__
        except Exception:  # noqa: BLE001 - optional, reported as absent
            info[module] = None
    try:
        import tensorflow as tf

        info["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    except Exception:  # noqa: BLE001
        info["gpus"] = []
    try:
        load = os.getloadavg()
        info["load_average_1m"] = round(load[0], 2)
    except OSError:
        pass
    return info


def time_call(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(candidates, repeats, warmup=1):
    """Times each candidate `repeats` times, interleaved.

    Args:
        candidates: dict name -> zero-argument callable doing one unit of
            work (its result is discarded).
        repeats: timed calls per candidate.
        warmup: untimed calls per candidate first (tracing, compilation,
            caches).

    Returns:
        dict name -> list of seconds, one per repeat.
    """
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in candidates}
    for order in rotations(list(candidates), repeats):
        for name in order:
            times[name].append(time_call(candidates[name]))
    return times


def rotations(names, repeats):
    """The interleaving orders: one per repeat, each starting one later.

    Rotating the order keeps a position effect (the first candidate of a
    round running right after the last one) from favouring one candidate.
    """
    for r in range(repeats):
        k = r % len(names)
        yield names[k:] + names[:k]


def median(values):
    return statistics.median(values)


def spread(values):
    """Relative half-range of the middle half (IQR / 2 / median)."""
    if len(values) < 4:
        return (max(values) - min(values)) / 2 / statistics.median(values)
    q = statistics.quantiles(values, n=4)
    return (q[2] - q[0]) / 2 / statistics.median(values)


def format_table(headers, rows):
    """A markdown table; floats are printed with 3 significant digits."""

    def cell(value):
        if isinstance(value, float):
            if value == 0 or 0.01 <= abs(value) < 1e5:
                return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
            return f"{value:.2e}"
        return str(value)

    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


class Report:
    """Collects tables, prints them and writes the JSON file."""

    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.tables = []
        self.notes = []
        self.started = time.time()

    def table(self, title, headers, rows):
        rows = [list(row) for row in rows]
        self.tables.append({"title": title, "headers": headers, "rows": rows})
        print(f"\n### {title}\n")
        print(format_table(headers, rows))
        sys.stdout.flush()

    def note(self, text):
        self.notes.append(text)
        print(f"\n{text}")

    def write(self):
        payload = {
            "benchmark": self.name,
            "quick": bool(self.args.quick),
            "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
            "machine": machine_info(),
            "wall_seconds": round(time.time() - self.started, 1),
            "tables": self.tables,
            "notes": self.notes,
        }
        directory = os.path.dirname(os.path.abspath(self.args.output))
        os.makedirs(directory, exist_ok=True)
        with open(self.args.output, "w") as f:
            json.dump(payload, f, indent=2, default=float)
        print(f"\nwrote {self.args.output} ({payload['wall_seconds']} s)")
