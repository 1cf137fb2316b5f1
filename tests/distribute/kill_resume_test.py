"""Fault tolerance: a run killed mid-epoch resumes from its backup.

`backup_script.py` trains with `keras.callbacks.BackupAndRestore`, with the
default strategy and under `tf.distribute.MirroredStrategy` on two logical
CPU devices (kill and resume included; their times are in
docs/benchmarks.md). The test waits (bounded) until the first run is in
the middle of its third epoch, kills it with SIGKILL, runs the script again and
checks that the second run starts from the last backup, with the weights
of the last completed epoch and the KL weight of the resumed epoch, and
that it finishes with a `.keras` file that loads. The figures (epoch and
batch killed, epoch resumed) are written to `figures.json`, printed,
recorded as the test property `kill_resume` and quoted in the assertion
messages.
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "backup_script.py")
KILL_AT_EPOCH, KILL_AT_BATCH = 2, 10
WAIT = 240
RUN_TIMEOUT = 300


def _env():
    env = dict(os.environ)
    env.pop("TF_CONFIG", None)
    env["KERAS_BACKEND"] = "tensorflow"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def _read_json(path):
    try:
        with open(path) as file:
            return json.load(file)
    except FileNotFoundError:
        return None


def _write_json(path, payload):
    with open(path, "w") as file:
        json.dump(payload, file, indent=1, sort_keys=True)


def _load_npz(path):
    with np.load(path) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


REPLICAS = {"default": 1, "mirrored": 2}


@pytest.fixture(scope="module", params=sorted(REPLICAS))
def runs(request, tmp_path_factory):
    strategy = request.param
    work_dir = tmp_path_factory.mktemp(f"kill_resume_{strategy}")
    progress_path = work_dir / "progress.json"
    command = [sys.executable, SCRIPT, str(work_dir), strategy]
    first = subprocess.Popen(
        command,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=open(work_dir / "first.log", "w"),  # noqa: SIM115
    )
    try:
        deadline = time.monotonic() + WAIT
        progress = None
        while time.monotonic() < deadline and first.poll() is None:
            progress = _read_json(progress_path)
            if progress and (progress["epoch"], progress["batch"]) >= (
                KILL_AT_EPOCH,
                KILL_AT_BATCH,
            ):
                break
            time.sleep(0.01)
        assert first.poll() is None, (work_dir / "first.log").read_text()
        assert progress and progress["epoch"] >= KILL_AT_EPOCH, (
            f"no progress after {WAIT} s: {progress}"
        )
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    killed = _read_json(progress_path)
    assert not (work_dir / "done.json").exists()

    second = subprocess.run(
        command,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert second.returncode == 0, second.stderr[-4000:]
    starts = [
        json.loads(line)
        for line in (work_dir / "starts.jsonl").read_text().splitlines()
    ]
    done = _read_json(work_dir / "done.json")
    figures = {
        "strategy": strategy,
        "replicas": [start["replicas"] for start in starts],
        "killed_epoch": killed["epoch"],
        "killed_batch": killed["batch"],
        "epochs_backed_up": killed["completed"],
        "resumed_epoch": starts[-1]["epoch"],
        "steps_per_epoch": done["steps_per_epoch"],
    }
    _write_json(work_dir / "figures.json", figures)
    return {
        "strategy": strategy,
        "dir": work_dir,
        "killed": killed,
        "starts": starts,
        "done": done,
        "figures": figures,
    }


def test_figures(runs, record_property):
    """Reports the kill/resume figures (0-based epochs and batches)."""
    figures = runs["figures"]
    assert _read_json(runs["dir"] / "figures.json") == figures
    record_property("kill_resume", json.dumps(figures, sort_keys=True))
    print(f"kill/resume figures: {json.dumps(figures, sort_keys=True)}")
    replicas = REPLICAS[runs["strategy"]]
    assert figures["replicas"] == [replicas, replicas], figures
    assert runs["done"]["replicas"] == replicas, figures


def test_killed_mid_epoch(runs):
    killed = runs["killed"]
    steps = runs["done"]["steps_per_epoch"]
    figures = runs["figures"]
    # The last progress before SIGKILL: inside an epoch whose backup was
    # never written, after the backups of all earlier epochs.
    assert killed["epoch"] >= KILL_AT_EPOCH, figures
    assert killed["batch"] < steps - 1, figures
    assert killed["completed"] == killed["epoch"], figures


def test_resumes_from_last_backup(runs):
    first, second = runs["starts"]
    figures = runs["figures"]
    assert first["epoch"] == 0, figures
    resumed = second["epoch"]
    assert resumed > 0, figures
    # Resumes at the epoch the kill interrupted: its partial work is lost.
    assert resumed == runs["killed"]["epoch"], figures
    restored = _load_npz(runs["dir"] / f"start_{second['pid']}.npz")
    backed_up = _load_npz(runs["dir"] / f"epoch_{resumed - 1}.npz")
    assert len(restored) == len(backed_up)
    for a, b in zip(restored, backed_up, strict=True):
        np.testing.assert_array_equal(a, b)


def test_finishes_remaining_epochs_with_annealing(runs):
    resumed = runs["starts"][1]["epoch"]
    history = runs["done"]["history"]
    # The second run trains the epochs the first one did not finish, and
    # KLAnnealing picks the schedule up at the resumed epoch.
    assert len(history["loss"]) == 6 - resumed
    expected = [min(1.0, epoch / 4) for epoch in range(resumed, 6)]
    np.testing.assert_allclose(history["kl_weight"], expected)
    assert np.all(np.isfinite(history["loss"]))


def test_final_model_loads(runs):
    import keras

    from keras_denoise import layers  # noqa: F401 - registers the classes.

    model = keras.saving.load_model(runs["dir"] / "final.keras")
    final = _load_npz(runs["dir"] / "epoch_5.npz")
    for a, b in zip(model.get_weights(), final, strict=True):
        np.testing.assert_array_equal(a, b)
    images = np.full((2, 16, 16, 1), 0.5, dtype="float32")
    assert model.predict(images, verbose=0).shape == (2, 16, 16, 1)
    # BackupAndRestore deletes its backup once training has finished.
    assert not (runs["dir"] / "backup").exists() or not os.listdir(
        runs["dir"] / "backup"
    )
