"""Smoke test of the benchmark scripts: each runs with `--quick`.

Checks that every script exits 0, prints markdown tables and writes a JSON
file with the expected structure and finite, positive timings. The figures
themselves are not checked: `--quick` sizes are too small to mean anything.
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
