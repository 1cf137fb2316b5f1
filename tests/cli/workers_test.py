"""`keras-denoise train --workers N` and `--cluster/--task-index`."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from cli_helpers import error_line

from keras_denoise.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
# A tiny job: two epochs of a 2-layer DnCNN, one noise level so that the
# losses vary little with the noise drawn.
JOB = ["--epochs", "2", "--depth", "2", "--filters", "4"]
JOB += ["--patches-per-image", "2", "--eval-images", "1", "--verbose", "0"]
JOB += ["--noise", "gaussian:25"]
TIMEOUT = 480


def _env():
    env = dict(os.environ)
    env.pop("TF_CONFIG", None)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.abspath(ROOT), env.get("PYTHONPATH", "")]
    )
    return env


def _cli(*arguments, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "keras_denoise_cli", *arguments],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--task-index", "0"], "--task-index needs --cluster"),
        (["--cluster", "127.0.0.1:1234"], "--cluster needs --task-index"),
        (
            ["--cluster", "127.0.0.1:1234,127.0.0.1:1235", "--task-index", "2"],
            "--task-index must be in [0, 1] for a cluster of 2, got 2",
        ),
        (["--cluster", "127.0.0.1", "--task-index", "0"], "'127.0.0.1'"),
        (["--cluster", "h:1,h:99999", "--task-index", "0"], "'h:99999'"),
        (["--task-index", "-1", "--cluster", "h:1"], "at least 0, got -1"),
        (["--workers", "0"], "--workers: must be at least 1, got 0"),
        (["--workers", "2", "--cluster", "h:1", "--task-index", "0"], "with"),
    ],
)
def test_usage_errors_are_one_line_before_any_work(
    arguments, message, tmp_path, capsys
):
    out = tmp_path / "run"
    assert main(["train", "--output", str(out), *arguments]) == 2
    line = error_line(capsys)
    assert message in line
    assert not out.exists()


@pytest.mark.slow
def test_two_workers_match_one_process(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    launcher = _cli("train", "--output", str(two), "--workers", "2", *JOB)
    assert main(["train", "--output", str(one), *JOB]) == 0
    stdout, stderr = launcher.communicate(timeout=TIMEOUT)
    assert launcher.returncode == 0, stderr
    assert "Evaluating on held-out images" in stdout  # the chief's output
    assert sorted(os.listdir(two)) == sorted(os.listdir(one))
    losses = [
        json.loads((run / "metrics.json").read_text())["history"]["loss"]
        for run in (one, two)
    ]
    assert len(losses[1]) == 2
    # One-process runs of this job repeat their losses exactly; each
    # worker draws the noise of its share of the batch itself, so two
    # workers differ from one process by the noise drawn: 0.5 % and 2.4 %
    # over the two epochs when measured, hence about twice that.
    np.testing.assert_allclose(losses[1], losses[0], rtol=0.05)


@pytest.mark.slow
def test_killed_worker_stops_the_job_with_one_line(tmp_path):
    out = tmp_path / "run"
    # Enough epochs that the job is still training when a worker dies.
    job = [*JOB, "--epochs", "200", "--patches-per-image", "8"]
    launcher = _cli("train", "--output", str(out), "--workers", "2", *job)
    deadline = time.monotonic() + TIMEOUT
    workers = []
    while len(workers) < 2 and time.monotonic() < deadline:
        result = subprocess.run(
            ["pgrep", "-P", str(launcher.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        workers = [int(pid) for pid in result.stdout.split()]
        if len(workers) < 2:
            with pytest.raises(subprocess.TimeoutExpired):
                launcher.wait(timeout=0.2)
    assert len(workers) == 2
    # Kill worker 1 once it is training: its log says so.
    logs = None
    while time.monotonic() < deadline:
        line = launcher.stdout.readline()
        if line.startswith("Training"):
            logs = True
            break
    assert logs, "the chief never started training"
    os.kill(max(workers), signal.SIGKILL)
    started = time.monotonic()
    _, stderr = launcher.communicate(timeout=120)
    assert time.monotonic() - started < 120
    assert launcher.returncode != 0
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("keras-denoise: error: worker ")
    assert "signal 9" in lines[0] or "exited with" in lines[0]
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not (out / "model.keras").exists()
