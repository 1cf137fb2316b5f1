import keras
import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio

from keras_denoise.metrics import PSNR
from keras_denoise.metrics import psnr


def numpy_psnr(a, b, max_val=1.0):
    mse = np.mean((np.asarray(a, "float64") - b) ** 2, axis=(1, 2, 3))
    return 10 * np.log10(max_val**2 / mse)


def noisy_pair(rng, shape=(3, 16, 16, 3), stddev=0.1):
    clean = rng.uniform(size=shape).astype("float32")
    noisy = np.clip(clean + rng.normal(0, stddev, shape), 0, 1)
    return clean, noisy.astype("float32")


class TestFunction:
    def test_matches_numpy_reference(self, rng):
        clean, noisy = noisy_pair(rng)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(psnr(clean, noisy)),
            numpy_psnr(clean, noisy),
            rtol=1e-5,
        )

    @pytest.mark.parametrize("name", ["camera", "astronaut", "coffee"])
    def test_matches_skimage(self, rng, name):
        image = getattr(data, name)()[:64, :64].astype("float32") / 255.0
        if image.ndim == 2:
            image = image[..., None]
        noisy = np.clip(image + rng.normal(0, 0.05, image.shape), 0, 1)
        noisy = noisy.astype("float32")
        expected = peak_signal_noise_ratio(image, noisy, data_range=1.0)
        value = float(keras.ops.convert_to_numpy(psnr(image, noisy)))
        np.testing.assert_allclose(value, expected, rtol=1e-5)

    def test_max_val_255(self, rng):
        clean, noisy = noisy_pair(rng)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(psnr(clean * 255, noisy * 255, 255.0)),
            numpy_psnr(clean, noisy),
            rtol=1e-4,
        )

    def test_rank_3_gives_a_scalar(self, rng):
        clean, noisy = noisy_pair(rng)
        value = psnr(clean[0], noisy[0])
        assert tuple(value.shape) == ()
        np.testing.assert_allclose(
            float(keras.ops.convert_to_numpy(value)),
            numpy_psnr(clean[:1], noisy[:1])[0],
            rtol=1e-5,
        )

    def test_identical_images_are_infinite(self, rng):
        clean, _ = noisy_pair(rng)
        values = keras.ops.convert_to_numpy(psnr(clean, clean))
        assert np.all(np.isposinf(values))

    def test_rejects_mismatched_shapes(self, rng):
        clean, noisy = noisy_pair(rng)
        with pytest.raises(ValueError, match=r"y_pred.shape=\(3, 16, 15, 3\)"):
            psnr(clean, noisy[:, :, :15])

    def test_rejects_integer_images(self, rng):
        clean, noisy = noisy_pair(rng)
        with pytest.raises(TypeError, match="`y_true` must be a floating"):
            psnr((clean * 255).astype("uint8"), noisy)

    def test_rejects_wrong_rank(self):
        with pytest.raises(ValueError, match=r"y_true.shape=\(4, 4\)"):
            psnr(np.zeros((4, 4), "float32"), np.zeros((4, 4), "float32"))

    @pytest.mark.parametrize("max_val", [0, -1.0, "1", float("inf")])
    def test_rejects_bad_max_val(self, rng, max_val):
        clean, noisy = noisy_pair(rng)
        with pytest.raises(ValueError, match="`max_val` must be"):
            psnr(clean, noisy, max_val=max_val)


class TestMetric:
    def test_mean_over_images_seen(self, rng):
        metric = PSNR()
        a, b = noisy_pair(rng, stddev=0.05)
        c, d = noisy_pair(rng, shape=(1, 16, 16, 3), stddev=0.2)
        metric.update_state(a, b)
        metric.update_state(c, d)
        expected = np.concatenate([numpy_psnr(a, b), numpy_psnr(c, d)]).mean()
        np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-5)
        metric.reset_state()
        # A mean over no image is undefined, not a PSNR of 0 dB.
        assert np.isnan(float(metric.result()))

    def test_caps_identical_images(self, rng):
        a, b = noisy_pair(rng, shape=(1, 16, 16, 1))
        metric = PSNR(max_psnr=60.0)
        metric.update_state(a, a)
        metric.update_state(a, b)
        expected = (60.0 + numpy_psnr(a, b)[0]) / 2
        np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-5)
        uncapped = PSNR(max_psnr=None)
        uncapped.update_state(a, a)
        assert np.isposinf(float(uncapped.result()))

    def test_sample_weight(self, rng):
        a, b = noisy_pair(rng, shape=(2, 16, 16, 1))
        metric = PSNR()
        metric.update_state(a, b, sample_weight=np.array([1.0, 0.0]))
        np.testing.assert_allclose(
            float(metric.result()), numpy_psnr(a, b)[0], rtol=1e-5
        )

    @pytest.mark.parametrize("max_psnr", [0.0, -5, "x", float("inf")])
    def test_rejects_bad_max_psnr(self, max_psnr):
        with pytest.raises(ValueError, match="`max_psnr` must be"):
            PSNR(max_psnr=max_psnr)

    def test_config_round_trip(self):
        metric = PSNR(max_val=255.0, max_psnr=80.0, name="p")
        restored = PSNR.from_config(metric.get_config())
        assert restored.get_config() == metric.get_config()
        assert restored.max_val == 255.0 and restored.max_psnr == 80.0
        restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
        assert isinstance(restored, PSNR)

    @pytest.mark.slow
    def test_compile_fit_and_keras_round_trip(self, rng, tmp_path):
        clean, noisy = noisy_pair(rng, shape=(8, 8, 8, 1))
        model = keras.Sequential(
            [keras.Input((8, 8, 1)), keras.layers.Conv2D(1, 3, padding="same")]
        )
        model.compile(optimizer="adam", loss="mse", metrics=[PSNR()])
        history = model.fit(noisy, clean, epochs=1, verbose=0).history
        assert np.isfinite(history["psnr"][0])
        logs = model.evaluate(noisy, clean, verbose=0, return_dict=True)
        predictions = model.predict(noisy, verbose=0)
        np.testing.assert_allclose(
            logs["psnr"], numpy_psnr(clean, predictions).mean(), rtol=1e-4
        )
        path = tmp_path / "model.keras"
        model.save(path)
        loaded = keras.models.load_model(path)
        loaded_logs = loaded.evaluate(noisy, clean, verbose=0, return_dict=True)
        np.testing.assert_allclose(loaded_logs["psnr"], logs["psnr"], rtol=1e-5)
