import keras
import numpy as np
import pytest
from corruption_checks import CorruptionLayerChecks
from corruption_checks import images
from corruption_checks import to_numpy

from keras_denoise.layers import GaussianBlur


def blur(layer, x):
    return to_numpy(layer(x, training=True))


def impulses(batch=1, size=21, channels=1):
    x = np.zeros((batch, size, size, channels), dtype="float32")
    x[:, size // 2, size // 2, :] = 1.0
    return x


class TestGaussianBlur(CorruptionLayerChecks):
    @staticmethod
    def make_layer(**overrides):
        return GaussianBlur((0.5, 1.5), **overrides)

    def test_reproducible_with_a_seed(self):
        # A fixed sigma is deterministic; a range depends on the seed.
        x = self.x()
        first = blur(self.make_layer(seed=7), x)
        np.testing.assert_array_equal(first, blur(self.make_layer(seed=7), x))
        assert not np.array_equal(first, blur(self.make_layer(seed=8), x))


class TestConstruction:
    def test_kernel_size_from_sigma(self):
        assert GaussianBlur(1.0).radius == 3
        assert GaussianBlur((0.2, 1.2)).radius == 4
        assert GaussianBlur(0.0).radius == 0
        assert GaussianBlur(2.0, kernel_size=5).radius == 2

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            ({"sigma": -1.0}, ValueError, r"`sigma` must be in \[0.0, inf\)"),
            ({"sigma": (2.0, 1.0)}, ValueError, r"sigma=\(2.0, 1.0\)"),
            ({"sigma": "wide"}, TypeError, r"Received: sigma='wide'"),
            (
                {"sigma": 1.0, "kernel_size": 4},
                ValueError,
                r"odd positive integer. Received: kernel_size=4",
            ),
            ({"sigma": 1.0, "kernel_size": -3}, ValueError, r"kernel_size=-3"),
            ({"sigma": 1.0, "kernel_size": 3.0}, TypeError, r"kernel_size=3.0"),
            ({"sigma": 1.0, "kernel_size": True}, TypeError, r"kernel_size=T"),
        ],
    )
    def test_invalid_arguments(self, kwargs, error, message):
        with pytest.raises(error, match=message):
            GaussianBlur(**kwargs)


class TestBlur:
    @pytest.mark.parametrize("sigma", [0.7, 1.2, 2.0])
    def test_matches_scipy(self, sigma):
        ndimage = pytest.importorskip("scipy.ndimage")
        x = images((2, 12, 10, 2), seed=1)
        layer = GaussianBlur(sigma, value_range=None)
        radius = layer.radius
        expected = ndimage.gaussian_filter(
            x.astype("float64"),
            sigma=(0, sigma, sigma, 0),
            mode="mirror",
            truncate=radius / sigma,
        )
        np.testing.assert_allclose(blur(layer, x), expected, atol=1e-5)

    def test_impulse_response_is_a_normalised_gaussian(self):
        sigma = 1.5
        layer = GaussianBlur(sigma, value_range=None)
        response = blur(layer, impulses())[0, :, :, 0]
        # Mass conservation: the kernel sums to 1.
        assert abs(response.sum() - 1.0) < 1e-5
        offsets = np.arange(-10, 11)
        kernel = np.exp(-(offsets**2) / (2 * sigma**2))
        kernel[np.abs(offsets) > layer.radius] = 0.0
        kernel /= kernel.sum()
        np.testing.assert_allclose(
            response, np.outer(kernel, kernel), atol=1e-6
        )

    def test_kernel_size_sets_the_support(self):
        response = blur(GaussianBlur(3.0, kernel_size=5), impulses())
        support = np.nonzero(response[0, :, 10, 0])[0]
        assert support.tolist() == [8, 9, 10, 11, 12]

    def test_constant_image_is_unchanged(self):
        x = np.full((3, 9, 7, 2), 0.3, dtype="float32")
        outputs = blur(GaussianBlur((0.5, 4.0), seed=1), x)
        np.testing.assert_allclose(outputs, x, atol=1e-6)

    def test_mirrored_image_gives_mirrored_blur(self):
        x = images((4, 11, 9, 2), seed=2)
        for axis in (1, 2):
            forward = blur(GaussianBlur((0.5, 2.0), seed=3), x)
            mirrored = blur(GaussianBlur((0.5, 2.0), seed=3), np.flip(x, axis))
            np.testing.assert_allclose(
                mirrored, np.flip(forward, axis), atol=1e-6
            )

    def test_sigma_zero_is_the_identity(self):
        x = images()
        np.testing.assert_array_equal(blur(GaussianBlur(0.0), x), x)
        np.testing.assert_allclose(blur(GaussianBlur((0.0, 0.0)), x), x, atol=0)

    def test_image_smaller_than_the_kernel(self):
        x = images((2, 3, 3, 1))
        outputs = blur(GaussianBlur(4.0, value_range=None), x)
        assert outputs.shape == x.shape
        assert np.all(np.isfinite(outputs))
        assert abs(outputs.mean() - x.mean()) < 0.2

    def test_range_is_drawn_per_sample(self):
        # The spatial variance of a blurred impulse is sigma^2, a little
        # less as the kernel is truncated (at 8 pixels, >= 3.2 sigma).
        low, high = 0.5, 2.5
        layer = GaussianBlur((low, high), value_range=None, seed=4)
        responses = blur(layer, impulses(batch=12, size=31))[..., 0]
        offsets = np.arange(31) - 15
        row_mass = responses.sum(axis=2)
        variances = (row_mass * offsets**2).sum(axis=1)
        sigmas = np.sqrt(variances)
        assert np.all(sigmas > 0.97 * low - 0.01)
        assert np.all(sigmas < high + 1e-3)
        assert sigmas.max() - sigmas.min() > 0.5
        np.testing.assert_allclose(row_mass.sum(axis=1), 1.0, atol=1e-5)

    def test_channels_first_equals_transposed_channels_last(self):
        x = images((3, 10, 10, 2))
        last = blur(GaussianBlur((0.5, 2.0), seed=6), x)
        first = blur(
            GaussianBlur((0.5, 2.0), data_format="channels_first", seed=6),
            np.transpose(x, (0, 3, 1, 2)),
        )
        np.testing.assert_allclose(
            first, np.transpose(last, (0, 3, 1, 2)), atol=1e-6
        )

    def test_mixed_float16_matches_float32(self):
        x = images((2, 10, 10, 1))
        expected = blur(GaussianBlur(1.0), x)
        keras.config.set_dtype_policy("mixed_float16")
        outputs = GaussianBlur(1.0)(x.astype("float16"), training=True)
        assert keras.backend.standardize_dtype(outputs.dtype) == "float16"
        np.testing.assert_allclose(
            to_numpy(outputs).astype("float32"), expected, atol=2e-3
        )

    @pytest.mark.requires_tensorflow(
        reason="traces the layer with tf.function and an unknown image size"
    )
    def test_unknown_image_size_matches_known_size(self):
        # Unknown height and width take the `ops.pad(mode="reflect")` path.
        tf = pytest.importorskip("tensorflow")

        x = images((2, 9, 7, 3))
        layer = GaussianBlur((0.5, 2.0), seed=3)
        expected = blur(GaussianBlur((0.5, 2.0), seed=3), x)
        compiled = tf.function(
            lambda batch: layer(batch, training=True),
            input_signature=[tf.TensorSpec((None, None, None, 3))],
        )
        np.testing.assert_allclose(compiled(x).numpy(), expected, atol=1e-6)
