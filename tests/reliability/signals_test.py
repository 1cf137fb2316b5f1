"""Cases 5 and 13: SIGTERM, SIGHUP and SIGINT end a run with one line,
its status, and nothing half-written; start-up failures are one line."""

import os
import select
import signal
import subprocess
import time

import numpy as np
import pytest
from reliability_helpers import cli_process

from keras_denoise import datasets
from keras_denoise.cli import main

TIMEOUT = 240


def _wait_for(condition, what):
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _wait_for_line(process, text):
    """Reads stdout until a line holds `text` (bounded)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"timed out waiting for {text!r}"
        ready, _, _ = select.select([process.stdout], [], [], left)
        if ready:
            line = process.stdout.readline()
            assert line, f"process ended before {text!r}"
            if text in line:
                return


def _finish(process):
    _, err = process.communicate(timeout=TIMEOUT)
    return process.returncode, err.strip().splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_signal_during_training(tmp_path, signum):
    out = tmp_path / "run"
    process = cli_process(
        ["train", "--output", str(out), "--epochs", "200", "--depth", "2"]
        + ["--filters", "4", "--patches-per-image", "2", "--verbose", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for_line(process, "Training")
    process.send_signal(signum)
    code, err = _finish(process)
    name = signal.Signals(signum).name
    assert code == 128 + signum
    assert err == [f"keras-denoise: error: interrupted by {name}"]
    assert not out.exists()


@pytest.mark.slow
def test_sighup_during_denoise_removes_the_staging(model_file, tmp_path):
    inputs = tmp_path / "in"
    for i in range(300):
        datasets.write_image(str(inputs / f"{i:03d}.png"), np.zeros((64, 64)))
    out = tmp_path / "out"
    process = cli_process(
        ["denoise", str(inputs), "--model", model_file, "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def staged():
        stages = [n for n in os.listdir(out)] if out.is_dir() else []
        return any(os.listdir(out / n) for n in stages if (out / n).is_dir())

    _wait_for(staged, "a staged output")
    process.send_signal(signal.SIGHUP)
    code, err = _finish(process)
    assert code == 128 + signal.SIGHUP
    assert err == ["keras-denoise: error: interrupted by SIGHUP"]
    assert not out.exists()


@pytest.mark.slow
def test_signal_after_training_says_the_model_was_kept(
    tmp_path, capsys, monkeypatch
):
    from reliability_helpers import TINY

    from keras_denoise.cli import scoring
    from keras_denoise.cli._signals import Terminated

    def killed(*args, **kwargs):
        raise Terminated(signal.SIGTERM)

    monkeypatch.setattr(scoring, "evaluate_denoising", killed)
    out = tmp_path / "run"
    assert main(["train", "--output", str(out), *TINY]) == 143
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "keras-denoise: error: interrupted by SIGTERM (training finished: "
        f"kept {out / 'model.keras'}; the other outputs were not written)"
    ]
    assert os.listdir(out) == ["model.keras"]


def test_sigint_lost_in_a_finalizer_during_start_up_still_stops(
    tmp_path, monkeypatch, capsys
):
    # Python runs the SIGINT handler at the next instruction of the main
    # thread; inside a finalizer the KeyboardInterrupt is reported as
    # ignored and lost, as can happen while the backend is imported.
    from keras_denoise.cli import _runtime

    class Finalized:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0)  # the handler runs here, inside the finalizer

    lost = []
    monkeypatch.setattr("sys.unraisablehook", lost.append)
    started = _runtime.start_keras

    def start_keras(first_op=True):
        started(first_op)
        Finalized()  # collected at once: the signal arrives in __del__

    monkeypatch.setattr(_runtime, "start_keras", start_keras)
    out = tmp_path / "run"
    assert main(["train", "--output", str(out)]) == 130
    assert [type(item.exc_value) for item in lost] == [KeyboardInterrupt]
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["keras-denoise: error: interrupted by SIGINT"]
    assert not out.exists()


@pytest.mark.slow
def test_sigint_during_start_up(tmp_path):
    process = cli_process(
        ["train", "--output", str(tmp_path / "run")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    maps = f"/proc/{process.pid}/maps"
    if not os.path.exists(maps):
        process.kill()
        pytest.skip("needs /proc to see the backend loading")

    def loading():
        try:
            with open(maps) as file:
                return "tensorflow" in file.read()
        except OSError:
            return True

    _wait_for(loading, "the backend to load")
    process.send_signal(signal.SIGINT)
    code, err = _finish(process)
    assert code == 130
    assert len(err) == 1 and err[0].startswith("keras-denoise: error: ")
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["bogus", "jax"])
def test_unusable_backend_is_one_line(tmp_path, backend):
    # A `jax` package that cannot be imported stands for a missing one.
    fake = tmp_path / "fake" / "jax"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module jax')\n")
    env = {"KERAS_BACKEND": backend}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(tmp_path / "fake"), os.path.dirname(os.path.dirname(__file__))]
    )
    env["PYTHONPATH"] = os.pathsep.join(
        [
            str(tmp_path / "fake"),
            os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        ]
    )
    process = cli_process(
        ["evaluate", "--model", "m.keras"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    code, err = _finish(process)
    assert code == 1
    assert len(err) == 1, err
    assert err[0].startswith(
        f"keras-denoise: error: cannot start Keras with backend '{backend}'"
    )
