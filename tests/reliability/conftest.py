"""Fixtures of the reliability suite: tiny models and image folders."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_denoise import datasets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.fixture(scope="session")
def model_file(tmp_path_factory):
    """An untrained one-convolution gray denoiser saved as `.keras`."""
    inputs = keras.Input((None, None, 1))
    outputs = keras.layers.Conv2D(1, 3, padding="same")(inputs)
    path = tmp_path_factory.mktemp("model") / "model.keras"
    keras.Model(inputs, outputs).save(path)
    return str(path)


@pytest.fixture
def photos(tmp_path):
    """A folder of three 16x16 gray PNGs."""
    folder = tmp_path / "photos"
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png", "g.png"):
        datasets.write_image(str(folder / name), rng.random((16, 16)))
    return folder


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
