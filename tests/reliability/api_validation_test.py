"""Python API inputs that used to fail deep inside a backend, or silently.

Each test holds one finding of the fault-injection run (issue 21, cases
11, 12 and 19): the call now raises a clear error naming the argument and
the value, or its handling is defined and checked.
"""

import re

import numpy as np
import pytest
from keras import ops

from keras_denoise import layers
from keras_denoise import metrics
from keras_denoise.models import Neighbor2Neighbor
from keras_denoise.models import Noise2Void

CORRUPTIONS = [
    lambda **kw: layers.AdditiveGaussianNoise(stddev=0.1, **kw),
    lambda **kw: layers.GaussianBlur(sigma=1.0, **kw),
    lambda **kw: layers.PoissonNoise(peak=10.0, **kw),
    lambda **kw: layers.SaltAndPepperNoise(rate=0.1, **kw),
    lambda **kw: layers.SpeckleNoise(stddev=0.1, **kw),
    lambda **kw: layers.RandomCorruption(
        [layers.AdditiveGaussianNoise(stddev=0.1)], **kw
    ),
]


def images(shape=(2, 8, 8, 1), value=0.5):
    return np.full(shape, value, dtype="float32")


class TestPoissonPeak:
    # Measured on CPU: peaks down to 1.1754944e-38 (the smallest normal
    # float32) give finite images; 1.17e-38 and below give NaN everywhere
    # in float32 and float16, as the peak is flushed to zero.
    @pytest.mark.parametrize("peak", [1e-38, 1e-40, 1e-45, (1e-40, 1.0)])
    def test_refuses_peaks_that_underflow(self, peak):
        with pytest.raises(ValueError, match=r"`peak` must be at least "):
            layers.PoissonNoise(peak=peak)
        with pytest.raises(
            ValueError, match=re.escape(f"Received: peak={peak!r}")
        ):
            layers.PoissonNoise(peak=peak)

    @pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
    def test_smallest_accepted_peak_is_finite(self, dtype):
        peak = float(np.finfo("float32").tiny)
        layer = layers.PoissonNoise(peak=peak, seed=1, dtype=dtype)
        x = np.linspace(0.0, 1.0, 64, dtype=dtype).reshape(1, 8, 8, 1)
        out = ops.convert_to_numpy(layer(x, training=True))
        assert np.isfinite(out.astype("float64")).all()

    def test_nan_and_inf_pixels_pass_through(self):
        x = images()
        x[0, 0, 0, 0], x[0, 1, 0, 0], x[0, 2, 0, 0] = np.nan, np.inf, -np.inf
        layer = layers.PoissonNoise(peak=30.0, seed=1, value_range=None)
        out = ops.convert_to_numpy(layer(x, training=True))
        assert np.isnan(out[0, 0, 0, 0])
        assert out[0, 1, 0, 0] == np.inf
        assert out[0, 2, 0, 0] == 0.0
        # Every other pixel is noise around 0.5, as without the bad ones.
        rest = np.delete(out.reshape(-1), [0, 8, 16])
        assert np.isfinite(rest).all() and 0.3 < rest.mean() < 0.7


class TestMetricWeights:
    @pytest.mark.parametrize("metric", [metrics.PSNR, metrics.SSIM])
    def test_negative_weight(self, metric):
        y = np.random.default_rng(0).random((2, 16, 16, 1), dtype="float32")
        with pytest.raises(
            ValueError,
            match=r"`sample_weight` must be >= 0. "
            r"Received: sample_weight=\[-1, 1\]",
        ):
            metric().update_state(y, y * 0.9, sample_weight=[-1, 1])

    @pytest.mark.parametrize("metric", [metrics.PSNR, metrics.SSIM])
    def test_all_zero_weights_give_nan_not_zero(self, metric):
        y = np.random.default_rng(0).random((2, 16, 16, 1), dtype="float32")
        m = metric()
        m.update_state(y, y * 0.9, sample_weight=[0, 0])
        assert np.isnan(float(m.result()))
        m.update_state(y, y * 0.9, sample_weight=[0, 1])
        assert np.isfinite(float(m.result())) and float(m.result()) > 0

    @pytest.mark.parametrize("metric", [metrics.PSNR, metrics.SSIM])
    def test_wrong_number_of_weights(self, metric):
        y = np.random.default_rng(0).random((2, 16, 16, 1), dtype="float32")
        with pytest.raises(
            ValueError, match=r"Received: 3 weights for 2 images"
        ):
            metric().update_state(y, y, sample_weight=[1, 1, 1])

    def test_numpy_scalars_accepted(self):
        metric = metrics.PSNR(max_val=np.float64(1.0), max_psnr=np.float32(50))
        assert metric.max_psnr == 50.0
        assert isinstance(metric.get_config()["max_psnr"], float)


class TestVariationalLoss:
    def test_bce_target_outside_unit_range(self):
        layer = layers.VariationalLossLayer()
        x, z = images((2, 4), 2.0), images((2, 2), 0.0)
        with pytest.raises(ValueError, match=r"Received: x in \[2, 2\]"):
            layer([x, z, z, images((2, 4))])

    def test_mse_accepts_any_target_range(self):
        layer = layers.VariationalLossLayer(reconstruction="mse")
        x, z = images((2, 4), 2.0), images((2, 2), 0.0)
        layer([x, z, z, images((2, 4))])
        assert float(layer.losses[0]) == pytest.approx(4 * 1.5**2)

    @pytest.mark.parametrize("reconstruction", ["binary_crossentropy", "mse"])
    def test_empty_batch_adds_zero_loss(self, reconstruction):
        layer = layers.VariationalLossLayer(reconstruction=reconstruction)
        x, z = images((0, 4)), images((0, 2))
        layer([x, z, z, x])
        assert float(layer.losses[0]) == 0.0
        assert float(ops.convert_to_numpy(layer.sample_count)) == 0.0


class TestCorruptionInputs:
    @pytest.mark.parametrize("make", CORRUPTIONS)
    def test_none_input(self, make):
        with pytest.raises(TypeError, match=r"Received: inputs of type None"):
            make()(None, training=True)
        with pytest.raises(TypeError, match=r"Received: images of type None"):
            make().corrupt(None)

    @pytest.mark.parametrize(
        "shape", [(1, 0, 0, 1), (1, 0, 8, 1), (1, 8, 0, 3), (0, 8, 8, 1)]
    )
    def test_blur_of_empty_image_is_empty(self, shape):
        layer = layers.GaussianBlur(sigma=1.0)
        out = layer(np.zeros(shape, "float32"), training=True)
        assert tuple(out.shape) == shape

    @pytest.mark.parametrize("seed", [2**31, 2**70, -1])
    @pytest.mark.parametrize("make", CORRUPTIONS)
    def test_seed_out_of_range(self, make, seed):
        with pytest.raises(
            ValueError, match=rf"\[0, 2\*\*31 - 1\]. Received: seed={seed}"
        ):
            make(seed=seed)

    @pytest.mark.parametrize("make", CORRUPTIONS)
    def test_largest_seed_and_numpy_seed(self, make):
        for seed in (2**31 - 1, np.int64(7)):
            layer = make(seed=seed)
            assert type(layer.get_config()["seed"]) is int
            assert layer(images(), training=True).shape == (2, 8, 8, 1)

    def test_sampling_seed_out_of_range(self):
        with pytest.raises(ValueError, match=r"Received: seed=2361183"):
            layers.SamplingLayer(seed=2**71)


class TestNumpyScalars:
    def denoiser(self):
        import keras

        return keras.Sequential(
            [keras.Input((8, 8, 1)), keras.layers.Conv2D(1, 3, padding="same")]
        )

    def test_self_supervised_wrappers(self):
        n2n = Neighbor2Neighbor(self.denoiser(), gamma=np.float32(1.5))
        assert n2n.gamma == 1.5
        n2v = Noise2Void(
            self.denoiser(),
            mask_fraction=np.float64(0.1),
            neighborhood_size=np.int64(5),
            seed=np.int32(3),
        )
        config = n2v.get_config()
        assert type(config["neighborhood_size"]) is int
        assert type(config["seed"]) is int
        with pytest.raises(ValueError, match="seed=4294967296"):
            Noise2Void(self.denoiser(), seed=2**32)
