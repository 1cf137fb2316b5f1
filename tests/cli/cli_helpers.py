"""Helpers shared by the command-line tests."""

import numpy as np

from keras_denoise import datasets

# The smallest `train` run: a 2-layer DnCNN, one epoch on a few patches.
TINY = [
    "--epochs",
    "1",
    "--depth",
    "2",
    "--filters",
    "4",
    "--patches-per-image",
    "2",
    "--eval-images",
    "1",
    "--verbose",
    "0",
]
DIGITS_TINY = ["--data", "digits", "--epochs", "1", "--eval-images", "1"]
DIGITS_TINY += ["--max-train-images", "128", "--verbose", "0"]


def recomputed_accuracy(run, noise, count=32):
    """Accuracy per evaluation corruption of `run/model.keras` on the first
    `count` digits test images, computed here from scratch."""
    import keras

    from keras_denoise.cli import specs

    model = keras.saving.load_model(str(run / "model.keras"))
    _, (x_test, y_test) = datasets.load_digits(16, seed=0)
    x_test, y_test = x_test[:count], y_test[:count]
    result = {}
    corruptions = specs.evaluation_corruptions(specs.parse_noise(noise))
    for name, corruption in corruptions.items():
        noisy = x_test
        if corruption is not None:
            noisy = keras.ops.convert_to_numpy(corruption.corrupt(x_test))
        probabilities = model.predict(noisy, verbose=0)
        if isinstance(probabilities, dict):
            probabilities = probabilities["label"]
        result[name] = float(np.mean(np.argmax(probabilities, -1) == y_test))
    return result


def keras_numpy(tensor):
    import keras

    return keras.ops.convert_to_numpy(tensor)


def error_line(capsys):
    """The one line a failed command wrote on stderr, checked."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("keras-denoise: error: ")
    assert "Traceback" not in err[0]
    return err[0]
