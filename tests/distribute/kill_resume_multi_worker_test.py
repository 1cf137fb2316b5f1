"""Fault tolerance across processes: a worker killed mid-epoch, job restarted.

Two processes of `backup_script.py multi` train a VAE with `fit`,
`KLAnnealing`, `BackupAndRestore` (one directory per worker) and, on the
chief, an `ImageGrid`. When worker 1 is in the middle of its third epoch
it gets SIGKILL; worker 0, left waiting in a collective, is stopped too
(bounded), as a job scheduler would. The job is then started again: both
workers must resume at the interrupted epoch from the last backup, with
`KLAnnealing` on schedule, and the chief's image grids must be whole
files with no temporary file left behind.
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from multi_worker_test import free_ports
from multi_worker_test import wait_all
from multi_worker_test import worker_env

pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "backup_script.py")
KILL_AT_EPOCH, KILL_AT_BATCH = 2, 10
WAIT = 300
TIMEOUT = 420


def _read_json(path):
    try:
        with open(path) as file:
            return json.load(file)
    except (FileNotFoundError, ValueError):
        return None


def _start(root, cluster, logs_suffix):
    return {
        i: subprocess.Popen(
            [sys.executable, SCRIPT, str(root / f"worker{i}"), "multi"]
            + [cluster, str(i)],
            env=worker_env("tensorflow"),
            stdout=subprocess.DEVNULL,
            stderr=open(root / f"worker{i}.{logs_suffix}.log", "w"),  # noqa: SIM115
        )
        for i in range(2)
    }


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill_resume_multi_worker")
    cluster = ",".join(f"127.0.0.1:{port}" for port in free_ports(2))
    first = _start(root, cluster, "first")
    try:
        deadline = time.monotonic() + WAIT
        progress = None
        while time.monotonic() < deadline and all(
            p.poll() is None for p in first.values()
        ):
            progress = _read_json(root / "worker1" / "progress.json")
            if progress and (progress["epoch"], progress["batch"]) >= (
                KILL_AT_EPOCH,
                KILL_AT_BATCH,
            ):
                break
            time.sleep(0.01)
        assert all(p.poll() is None for p in first.values()), progress
        assert progress and progress["epoch"] >= KILL_AT_EPOCH, progress
        first[1].send_signal(signal.SIGKILL)
        assert first[1].wait(timeout=30) == -signal.SIGKILL
        try:
            first[0].wait(timeout=90)
        except subprocess.TimeoutExpired:
            first[0].kill()
    finally:
        for process in first.values():
            if process.poll() is None:
                process.kill()
            process.wait()
    killed = {
        i: _read_json(root / f"worker{i}" / "progress.json") for i in range(2)
    }
    cluster = ",".join(f"127.0.0.1:{port}" for port in free_ports(2))
    second = _start(root, cluster, "second")
    logs = {i: root / f"worker{i}.second.log" for i in range(2)}
    wait_all(second, logs, TIMEOUT)
    return {"root": root, "killed": killed}


def _starts(job, i):
    path = job["root"] / f"worker{i}" / "starts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_both_workers_resume_at_the_interrupted_epoch(job):
    killed = job["killed"][1]
    for i in range(2):
        first, second = _starts(job, i)
        assert first["epoch"] == 0 and first["replicas"] == 2
        assert second["replicas"] == 2
        assert second["epoch"] == killed["epoch"], (job["killed"], second)
        restored = np.load(
            job["root"] / f"worker{i}" / f"start_{second['pid']}.npz"
        )
        backed_up = np.load(
            job["root"] / f"worker{i}" / f"epoch_{second['epoch'] - 1}.npz"
        )
        for name in backed_up.files:
            np.testing.assert_array_equal(restored[name], backed_up[name])


def test_annealing_on_schedule_after_restart(job):
    resumed = _starts(job, 0)[1]["epoch"]
    for i in range(2):
        done = _read_json(job["root"] / f"worker{i}" / "done.json")
        history = done["history"]
        assert len(history["loss"]) == 6 - resumed
        expected = [min(1.0, epoch / 4) for epoch in range(resumed, 6)]
        np.testing.assert_allclose(history["kl_weight"], expected)
        assert np.all(np.isfinite(history["loss"]))


def test_chief_files_whole_and_written_once(job):
    from PIL import Image

    grids = job["root"] / "worker0" / "grids"
    names = sorted(os.listdir(grids))
    assert names == [f"image_grid_epoch_{e:04d}.png" for e in range(1, 7)]
    for name in names:
        with Image.open(grids / name) as image:
            image.verify()
    assert not (job["root"] / "worker1" / "grids").exists()
