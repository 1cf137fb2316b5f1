import keras
import numpy as np
import pytest

from keras_denoise import inference
from keras_denoise import models


@pytest.fixture(scope="module")
def denoiser():
    # Three 3x3 convolutions: each output sees 3 pixels around it.
    keras.utils.set_random_seed(0)
    return models.residual_denoiser(channels=1, depth=3, filters=8)


def _whole(model, images):
    return model.predict(images, verbose=0)


class TestExactness:
    def test_matches_whole_image_when_overlap_covers_receptive_field(
        self, denoiser, rng
    ):
        image = rng.random((100, 70, 1)).astype("float32")
        tiled = inference.predict_tiled(
            denoiser, image, tile_size=32, overlap=12, batch_size=3
        )
        whole = _whole(denoiser, image[None])[0]
        assert tiled.shape == image.shape and tiled.dtype == np.float32
        # Only float rounding of the blend separates the two.
        np.testing.assert_allclose(tiled, whole, atol=1e-5)

    def test_too_small_an_overlap_shows_the_tile_borders(self, denoiser, rng):
        image = rng.random((100, 70, 1)).astype("float32")
        tiled = inference.predict_tiled(
            denoiser, image, tile_size=32, overlap=0
        )
        error = np.abs(tiled - _whole(denoiser, image[None])[0])
        assert error.max() > 1e-3

    def test_batch_in_batch_out(self, denoiser, rng):
        images = rng.random((3, 45, 50, 1)).astype("float32")
        tiled = inference.predict_tiled(
            denoiser, images, tile_size=24, overlap=12
        )
        assert tiled.shape == images.shape
        np.testing.assert_allclose(tiled, _whole(denoiser, images), atol=1e-5)

    def test_image_smaller_than_a_tile_is_one_pass(self, denoiser, rng):
        image = rng.random((9, 13, 1)).astype("float32")
        tiled = inference.predict_tiled(denoiser, image)
        np.testing.assert_allclose(
            tiled, _whole(denoiser, image[None])[0], atol=1e-6
        )


def _fixed_and_free(size):
    """The same three convolutions, with a fixed and a free input size."""
    keras.utils.set_random_seed(1)

    def build(shape):
        inputs = keras.Input(shape)
        x = inputs
        for filters in (6, 6, 1):
            x = keras.layers.Conv2D(filters, 3, padding="same")(x)
        return keras.Model(inputs, x)

    fixed = build((size, size, 1))
    free = build((None, None, 1))
    free.set_weights(fixed.get_weights())
    return fixed, free


class TestFixedSizeModels:
    def test_overlapping_tiles_have_no_seams(self, rng):
        # A fixed-size model runs on tiles of its size; with an overlap
        # that covers its receptive field the tiles join without a seam.
        fixed, free = _fixed_and_free(32)
        image = rng.random((80, 50, 1)).astype("float32")
        tiled = inference.predict_tiled(fixed, image, overlap=12)
        np.testing.assert_allclose(
            tiled, _whole(free, image[None])[0], atol=1e-5
        )

    def test_small_image_is_mirrored_to_a_tile(self, rng):
        fixed, _ = _fixed_and_free(32)
        image = rng.random((20, 9, 1)).astype("float32")
        padded = np.pad(image, ((0, 12), (0, 23), (0, 0)), "symmetric")
        tiled = inference.predict_tiled(fixed, image)
        expected = _whole(fixed, padded[None])[0, :20, :9]
        assert tiled.shape == image.shape
        np.testing.assert_allclose(tiled, expected, atol=1e-6)

    def test_tile_size_must_be_the_input_size(self):
        fixed, _ = _fixed_and_free(32)
        with pytest.raises(ValueError, match="tile_size=48"):
            inference.predict_tiled(
                fixed, np.zeros((40, 40, 1), "float32"), tile_size=48
            )


class TestSelfEnsemble:
    def test_mean_of_the_eight_transformed_predictions(self, denoiser, rng):
        image = rng.random((21, 30, 1)).astype("float32")
        expected = []
        for flip in (False, True):
            flipped = image[:, ::-1] if flip else image
            for k in range(4):
                turned = np.rot90(flipped, k, axes=(0, 1))
                out = _whole(denoiser, np.ascontiguousarray(turned)[None])[0]
                out = np.rot90(out, -k, axes=(0, 1))
                expected.append(out[:, ::-1] if flip else out)
        ensembled = inference.predict_tiled(
            denoiser, image, tile_size=16, overlap=12, self_ensemble=True
        )
        np.testing.assert_allclose(
            ensembled, np.mean(expected, axis=0), atol=1e-5
        )
        plain = inference.predict_tiled(
            denoiser, image, tile_size=16, overlap=12
        )
        assert np.abs(ensembled - plain).max() > 1e-4


class TestProgress:
    def test_callback_counts_every_tile(self, denoiser):
        calls = []
        inference.predict_tiled(
            denoiser,
            np.zeros((2, 40, 40, 1), "float32"),
            tile_size=24,
            overlap=8,
            batch_size=3,
            progress=lambda done, total: calls.append((done, total)),
        )
        # 2 x 2 tiles per image, two images, in batches of at most 3.
        assert calls == [(3, 8), (4, 8), (7, 8), (8, 8)]


class TestErrors:
    @pytest.mark.parametrize(
        "kwargs, error, match",
        [
            ({"images": np.zeros((8, 8, 1), "uint8")}, TypeError, "uint8"),
            ({"images": np.zeros((8, 8), "float32")}, ValueError, r"\(8, 8\)"),
            ({"overlap": 32}, ValueError, "overlap=32"),
            ({"overlap": -1}, ValueError, "overlap=-1"),
            ({"tile_size": 0}, ValueError, "tile_size=0"),
            ({"batch_size": 0}, ValueError, "batch_size=0"),
            ({"self_ensemble": 1}, TypeError, "self_ensemble=1"),
            ({"progress": 3}, TypeError, "progress=3"),
        ],
    )
    def test_invalid_arguments(self, denoiser, kwargs, error, match):
        arguments = {"images": np.zeros((8, 8, 1), "float32"), "tile_size": 32}
        arguments.update(kwargs)
        with pytest.raises(error, match=match):
            inference.predict_tiled(denoiser, **arguments)


class TestSmallImagesTogether:
    def test_one_tile_images_run_as_one_batch(self, denoiser, rng):
        images = rng.random((10, 12, 9, 1)).astype("float32")
        calls = []
        tiled = inference.predict_tiled(
            denoiser,
            images,
            batch_size=4,
            progress=lambda done, total: calls.append((done, total)),
        )
        np.testing.assert_allclose(tiled, _whole(denoiser, images), atol=1e-6)
        assert calls == [(10, 10)]

    def test_self_ensemble_of_a_batch_matches_each_image(self, denoiser, rng):
        images = rng.random((3, 12, 9, 1)).astype("float32")
        together = inference.predict_tiled(denoiser, images, self_ensemble=True)
        for image, result in zip(images, together, strict=True):
            expected = []
            for flip in (False, True):
                flipped = image[:, ::-1] if flip else image
                for k in range(4):
                    turned = np.ascontiguousarray(np.rot90(flipped, k))
                    out = np.rot90(_whole(denoiser, turned[None])[0], -k)
                    expected.append(out[:, ::-1] if flip else out)
            np.testing.assert_allclose(
                result, np.mean(expected, axis=0), atol=1e-5
            )
