"""Case 7: models whose output does not fit the task are refused first."""

import os

import keras
import numpy as np
from reliability_helpers import one_line

from keras_denoise import datasets
from keras_denoise.cli import main


def _save(model, tmp_path, name):
    path = str(tmp_path / name)
    model.save(path)
    return path


def test_denoise_refuses_a_strided_model(tmp_path, capsys):
    inputs = keras.Input((None, None, 1))
    outputs = keras.layers.Conv2D(1, 3, strides=2, padding="valid")(inputs)
    model = _save(keras.Model(inputs, outputs), tmp_path, "strided.keras")
    image = tmp_path / "in" / "a.png"
    datasets.write_image(str(image), np.zeros((40, 48)))
    out = tmp_path / "out"
    assert main(["denoise", str(image), "--model", model, "--output", str(out)])
    assert "does not output an image of its input's size" in one_line(capsys)
    assert not out.exists()


def test_evaluate_refuses_an_image_to_vector_model(tmp_path, capsys):
    inputs = keras.Input((16, 16, 1))
    outputs = keras.layers.Dense(7)(keras.layers.Flatten()(inputs))
    model = _save(keras.Model(inputs, outputs), tmp_path, "vector.keras")
    argv = ["evaluate", "--model", model, "--data", "digits"]
    assert main(argv) == 1
    line = one_line(capsys)
    assert "outputs 7 values per image but --data digits has 10" in line
    assert os.listdir(tmp_path) == ["vector.keras"]
