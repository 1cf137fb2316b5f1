"""Helpers of the reliability suite."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
# The smallest `train` run: a 2-layer DnCNN, one epoch on a few patches.
TINY = ["--epochs", "1", "--depth", "2", "--filters", "4"]
TINY += ["--patches-per-image", "2", "--eval-images", "1", "--verbose", "0"]


def snapshot(folder):
    """`{name: bytes}` of every file under `folder`."""
    result = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as file:
                result[os.path.relpath(path, folder)] = file.read()
    return result


def one_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("keras-denoise: error: ")
    return err[0]


def cli_process(args, **kwargs):
    """`python -m keras_denoise_cli ARGS` with this worktree imported."""
    env = dict(os.environ, PYTHONPATH=ROOT, KERAS_BACKEND="tensorflow")
    env.update(kwargs.pop("env", {}))
    return subprocess.Popen(
        [sys.executable, "-m", "keras_denoise_cli", *args],
        env=env,
        text=True,
        **kwargs,
    )
