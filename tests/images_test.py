"""Tests of the image helpers in `keras_denoise._images`."""

import io

import numpy as np
from PIL import Image

from keras_denoise import _images


def test_to_grayscale_uses_bt709_weights_and_ignores_alpha():
    image = np.zeros((1, 3, 4), "float32")
    image[0, 0, 0] = image[0, 1, 1] = image[0, 2, 2] = 1.0
    image[..., 3] = 0.5  # alpha
    gray = _images.to_grayscale(image)
    assert gray.shape == (1, 3, 1)
    np.testing.assert_allclose(gray[0, :, 0], _images.LUMA, rtol=1e-6)
    one = np.ones((2, 2, 1), "float32")
    assert _images.to_grayscale(one) is one


def test_centre_crop():
    images = np.arange(2 * 5 * 6).reshape(2, 5, 6, 1)
    crop = _images.centre_crop(images, 3, 2)
    np.testing.assert_array_equal(crop, images[:, 1:4, 2:4])


def test_tile_rows_and_encode_png_round_trip():
    rows = [np.zeros((2, 3, 3, 1), "float32"), np.ones((1, 3, 3, 1))]
    grid = _images.tile_rows(rows, (0.0, 1.0), padding=1)
    assert grid.shape == (1 + 2 * 4, 1 + 2 * 4, 1)
    assert grid[1, 1, 0] == 0 and grid[5, 1, 0] == 255
    assert grid[5, 5, 0] == 255  # the short row leaves white space
    decoded = np.asarray(Image.open(io.BytesIO(_images.encode_png(grid))))
    np.testing.assert_array_equal(decoded, grid[..., 0])
