"""The trained denoisers that ship inside the package.

The weights are files of the installed package: these tests load them
offline on whichever backend runs the suite (CI runs this file on
TensorFlow, JAX and PyTorch; `tests/backends/pretrained_backends_test.py`
compares the three backends' outputs).
"""

import os

import keras
import numpy as np
import pytest

from keras_denoise import metrics
from keras_denoise import models
from keras_denoise.models import pretrained

SET12 = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "data", "set12"
)
# The PSNR gain at sigma 25 each shipped model must keep on a 256x256 test
# image, from a measurement of the shipped weights (seeded noise as below):
# gaussian_gray (the U-Net, 17,000 steps) on Set12's 01.png, 20.58 ->
# 29.63 dB (+9.05 dB), and on the fallback, the gray astronaut's centre,
# 20.73 -> 29.98 dB (+9.25 dB); gaussian_color (6,000 steps) on the
# centre of the astronaut photograph (held out of its training), 20.81 ->
# 29.78 dB (+8.97 dB). The bounds sit about 1.2 dB below, for backend
# differences; an untrained or wrongly loaded model gains a few dB at most
# or makes the image worse.
MIN_GAIN_DB = {"gaussian_gray": 7.8, "gaussian_color": 7.7}


def _test_image(channels):
    """A 256x256 8-bit test image: Set12's first image when the shared data
    folder is there (gray), else a bundled photograph's centre."""
    path = os.path.join(SET12, "01.png")
    if channels == 1 and os.path.exists(path):
        from PIL import Image

        image = np.asarray(Image.open(path), "float32")[..., None] / 255.0
        return image[:256, :256]
    from keras_denoise.datasets import load_natural_images

    photo = load_natural_images(["astronaut"], grayscale=channels == 1)[
        "astronaut"
    ]
    top = (photo.shape[0] - 256) // 2
    left = (photo.shape[1] - 256) // 2
    photo = photo[top : top + 256, left : left + 256]
    return np.round(photo * 255.0) / 255.0


def _psnr(clean, image):
    image = np.round(np.clip(image, 0.0, 1.0) * 255.0) / 255.0
    return float(10.0 * np.log10(1.0 / np.mean((clean - image) ** 2)))


def test_names():
    assert models.pretrained_names() == ["gaussian_color", "gaussian_gray"]


def test_unknown_name_lists_the_names():
    with pytest.raises(ValueError) as error:
        pretrained("gaussian_grey")
    message = str(error.value)
    assert "name='gaussian_grey'" in message
    assert "gaussian_color, gaussian_gray" in message


def test_name_must_be_a_string():
    with pytest.raises(TypeError, match="name=1"):
        pretrained(1)


def test_missing_weights_file(monkeypatch, tmp_path):
    import importlib

    # The module, not the function of the same name.
    module = importlib.import_module("keras_denoise.models.pretrained")
    monkeypatch.setattr(module, "_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="gaussian_gray"):
        pretrained("gaussian_gray")


def test_shipped_weights_fit_in_20_mb():
    # The budget for all the weights the wheel carries together.
    from keras_denoise.models.pretrained import architecture_path
    from keras_denoise.models.pretrained import weights_path

    total = 0
    for name in models.pretrained_names():
        assert os.path.exists(architecture_path(name)), name
        total += os.path.getsize(weights_path(name))
    assert total <= 20_000_000, total


@pytest.mark.parametrize(
    "name, channels", [("gaussian_gray", 1), ("gaussian_color", 3)]
)
def test_loads_uncompiled_for_any_size(name, channels):
    model = pretrained(name)
    assert model.name == name
    assert getattr(model, "optimizer", None) is None
    assert tuple(model.inputs[0].shape) == (None, None, None, channels)
    for size in [(17, 33), (64, 48)]:
        x = np.full((1, *size, channels), 0.5, "float32")
        assert model.predict(x, verbose=0).shape == x.shape


@pytest.mark.parametrize(
    "name, channels", [("gaussian_gray", 1), ("gaussian_color", 3)]
)
def test_denoises_an_image(name, channels):
    clean = _test_image(channels)
    rng = np.random.default_rng(25)
    noisy = (clean + rng.normal(0, 25 / 255, clean.shape)).astype("float32")
    denoised = pretrained(name).predict(noisy[None], verbose=0)[0]
    gain = _psnr(clean, denoised) - _psnr(clean, noisy)
    assert gain > MIN_GAIN_DB[name], gain


@pytest.mark.slow
def test_fine_tunes_with_fit():
    model = pretrained("gaussian_gray")
    rng = np.random.default_rng(0)
    clean = rng.random((4, 32, 32, 1)).astype("float32")
    noisy = clean + rng.normal(0, 0.1, clean.shape).astype("float32")
    model.compile(
        optimizer=keras.optimizers.Adam(1e-4),
        loss="mean_absolute_error",
        metrics=[metrics.PSNR()],
    )
    before = [w.numpy() for w in model.trainable_weights]
    history = model.fit(noisy, clean, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(
        not np.array_equal(b, w.numpy())
        for b, w in zip(before, model.trainable_weights, strict=True)
    )
