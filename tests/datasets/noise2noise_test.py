"""Noise2Noise: pairs of independent noisy captures train a plain model.

Two folders holding two noisy captures of the same scenes, matched by file
name, are exactly what `paired_image_directory` streams: the second capture
takes the place of the clean target (Lehtinen et al. 2018).
"""

import keras
import numpy as np
import pytest

from keras_denoise.datasets import load_natural_images
from keras_denoise.datasets import paired_image_directory
from keras_denoise.datasets import write_image
from keras_denoise.models import residual_denoiser

pytestmark = pytest.mark.requires_tensorflow(reason="tf.data pipeline")


def _captures(tmp_path, sigma=0.1):
    """Writes two noisy captures of bundled photo crops, folders a and b."""
    rng = np.random.default_rng(0)
    photos = load_natural_images(["camera", "moon", "page"], grayscale=True)
    clean = {}
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    for name, image in photos.items():
        crop = image[:64, :64]
        clean[name] = crop
        for folder in ("a", "b"):
            noisy = np.clip(crop + rng.normal(0, sigma, crop.shape), 0, 1)
            write_image(str(tmp_path / folder / f"{name}.png"), noisy)
    return clean


def test_pairs_are_two_different_noisy_captures(tmp_path):
    _captures(tmp_path)
    pairs = paired_image_directory(
        str(tmp_path / "a"), str(tmp_path / "b"), crop_size=32, seed=0
    )
    first, second = next(iter(pairs))
    first, second = np.asarray(first), np.asarray(second)
    assert first.shape == second.shape == (3, 32, 32, 1)
    # Same scene, independent noise: the difference has about twice the
    # noise variance (2 * 0.1**2, less the clipping and 8-bit rounding).
    difference = np.var(first - second)
    assert 0.01 < difference < 0.03


@pytest.mark.slow
def test_plain_model_learns_to_denoise_from_noisy_pairs(tmp_path):
    clean = _captures(tmp_path)
    pairs = paired_image_directory(
        str(tmp_path / "a"),
        str(tmp_path / "b"),
        crop_size=32,
        crops_per_image=16,
        batch_size=16,
        seed=0,
        repeat=True,
    )
    keras.utils.set_random_seed(0)
    model = residual_denoiser(depth=4, filters=16, batch_norm=False)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    model.fit(pairs, epochs=15, steps_per_epoch=10, verbose=0)
    rng = np.random.default_rng(1)
    x = np.stack(list(clean.values())).astype("float32")
    noisy = (x + rng.normal(0, 0.1, x.shape)).astype("float32")
    denoised = model.predict(noisy, verbose=0)

    def psnr(y):
        return 10 * np.log10(1 / np.mean((y - x) ** 2))

    # Trained without a single clean image, it still beats its input.
    assert psnr(denoised) > psnr(noisy) + 2.0
