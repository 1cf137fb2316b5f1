"""Smoke test of the benchmark scripts: each runs with `--quick`.

Checks that every script exits 0, prints markdown tables and writes a JSON
file with the expected structure and finite, positive timings, that the
scripts with targets write their target table with a numeric figure in
every row, and that a method left out for a missing optional dependency is
a row saying so. The figures themselves are not checked: `--quick` sizes
are too small to mean anything.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = sorted(
    p.stem for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_")
)


def test_every_area_has_a_script():
    assert set(SCRIPTS) >= {
        "corruption_throughput",
        "training_cost",
        "denoising_quality",
        "builder_overhead",
        "scaling",
        "memory",
    }


# Script -> (title prefix of its target table, header of the figure column,
# the targets, each a tuple of cells that identify one row, as --quick runs).
TARGETS = {
    "corruption_throughput": (
        "Target:",
        "speed vs numpy loop",
        [
            (size, f"{layer}, corrupted_pairs (tf.data batched map)")
            for size in ("28x28x1", "128x128x3")
            for layer in (
                "AdditiveGaussianNoise",
                "SpeckleNoise",
                "SaltAndPepperNoise",
                "RandomCorruption",
            )
        ],
    ),
    "training_cost": (
        "Targets",
        "measured",
        [
            (mode, ratio)
            for mode in ("jit_compile=False", "jit_compile=True")
            for ratio in (
                "4-way RandomCorruption / clean",
                "AdditiveGaussianNoise / keras GaussianNoise",
            )
        ],
    ),
    "builder_overhead": (
        "Target",
        "builder / hand-written",
        [("28x28x1",)],
    ),
}


def _numbers(rows):
    for row in rows:
        for value in row:
            if isinstance(value, float):
                yield value


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("script", SCRIPTS)
def test_quick_run_is_well_formed(script, tmp_path):
    output = tmp_path / f"{script}.json"
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / f"{script}.py"),
            "--quick",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    payload = json.loads(output.read_text())
    assert payload["benchmark"] == script
    assert payload["quick"] is True
    assert payload["machine"]["logical_cpus"] >= 1
    assert payload["tables"], "no table"
    for table in payload["tables"]:
        width = len(table["headers"])
        assert table["rows"], table["title"]
        assert all(len(row) == width for row in table["rows"]), table
        # Every table is printed as markdown with its header row.
        assert "| " + " | ".join(table["headers"]) + " |" in result.stdout
        for value in _numbers(table["rows"]):
            assert math.isfinite(value) and value >= 0, table
    check_targets(script, payload)
    check_skips(script, payload)


def check_targets(script, payload):
    """The target table is there and each target has a numeric figure."""
    if script not in TARGETS:
        return
    prefix, column, targets = TARGETS[script]
    tables = [t for t in payload["tables"] if t["title"].startswith(prefix)]
    assert len(tables) == 1, [t["title"] for t in payload["tables"]]
    table = tables[0]
    figure = table["headers"].index(column)
    for cells in targets:
        rows = [
            row for row in table["rows"] if tuple(row[: len(cells)]) == cells
        ]
        assert len(rows) == 1, (cells, table["rows"])
        value = rows[0][figure]
        assert isinstance(value, float) and math.isfinite(value), rows[0]
        assert value > 0, rows[0]


def check_skips(script, payload):
    """A method dropped for a missing dependency is a row that says so."""
    if script != "denoising_quality":
        return
    names = [row[0] for t in payload["tables"] for row in t["rows"]]
    try:
        import pywt  # noqa: F401
    except ImportError:
        skipped = [n for n in names if "denoise_wavelet" in n]
        assert len(skipped) == 1 and "skipped" in skipped[0], names
        assert "PyWavelets" in skipped[0], skipped
    else:
        assert "skimage denoise_wavelet" in names, names
