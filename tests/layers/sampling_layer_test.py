import keras
import numpy as np
import pytest

from keras_denoise.layers import SamplingLayer


class TestBuilding:
    def test_config_round_trip(self):
        layer = SamplingLayer(seed=3, name="sampler")
        config = layer.get_config()
        assert config["seed"] == 3
        restored = SamplingLayer.from_config(config)
        assert restored.seed == 3
        assert restored.name == "sampler"

    @pytest.mark.parametrize(
        "seed, error",
        [
            (-1, ValueError),
            (1.5, TypeError),
            ("1", TypeError),
            (True, TypeError),
        ],
    )
    def test_rejects_bad_seed(self, seed, error):
        # A wrong type is a TypeError, a wrong value a ValueError.
        with pytest.raises(error, match="`seed`"):
            SamplingLayer(seed=seed)

    def test_rejects_single_tensor(self):
        with pytest.raises(ValueError, match="list of two tensors"):
            SamplingLayer()(np.zeros((2, 3), "float32"))

    def test_rejects_three_tensors(self):
        z = np.zeros((2, 3), "float32")
        with pytest.raises(ValueError, match="list of two tensors"):
            SamplingLayer()([z, z, z])

    def test_rejects_mismatched_shapes(self):
        with pytest.raises(ValueError, match=r"z_mean.shape=\(2, 3\)"):
            SamplingLayer()(
                [np.zeros((2, 3), "float32"), np.zeros((2, 4), "float32")]
            )

    def test_rejects_mismatched_symbolic_shapes(self):
        with pytest.raises(ValueError, match="same shape"):
            SamplingLayer()([keras.Input((3,)), keras.Input((4,))])

    def test_rejects_integer_input(self):
        z = np.zeros((2, 3), "int32")
        with pytest.raises(TypeError, match="`z_mean` must be a floating"):
            SamplingLayer()([z, z])

    @pytest.mark.parametrize("name", ["z_mean", "z_log_var"])
    def test_rejects_integer_keras_input_when_building(self, name):
        # Functional models are built through `compute_output_spec`, not
        # `call`: an integer `keras.Input` must fail there.
        z_mean = keras.Input((3,), dtype="int32" if name == "z_mean" else None)
        z_log_var = keras.Input(
            (3,), dtype="int32" if name == "z_log_var" else None
        )
        with pytest.raises(TypeError, match=rf"Received: {name}.dtype=int32"):
            SamplingLayer()([z_mean, z_log_var])

    def test_symbolic_output_spec(self):
        keras.config.set_dtype_policy("mixed_float16")
        z = SamplingLayer()([keras.Input((3,)), keras.Input((3,))])
        assert tuple(z.shape) == (None, 3)
        assert z.dtype == "float16"


class TestForward:
    def test_statistics_match_mean_and_std(self):
        n = 20000
        z_mean = np.tile(np.array([[-2.0, 0.0, 3.0]], "float32"), (n, 1))
        log_var = np.tile(
            np.array([[0.0, np.log(4.0), -2.0]], "float32"), (n, 1)
        )
        z = keras.ops.convert_to_numpy(SamplingLayer(seed=7)([z_mean, log_var]))
        expected_std = np.exp(0.5 * log_var[0])
        # Standard errors, per dimension: std / sqrt(n) for the mean,
        # std / sqrt(2n) for the std; 5 standard errors bound the check
        # (0.035, 0.071 and 0.013 for the means).
        np.testing.assert_array_less(
            np.abs(z.mean(axis=0) - z_mean[0]), 5 * expected_std / n**0.5
        )
        np.testing.assert_array_less(
            np.abs(z.std(axis=0) - expected_std),
            5 * expected_std / (2 * n) ** 0.5,
        )

    def test_samples_at_inference_too(self):
        z = np.zeros((64, 2), "float32")
        out = keras.ops.convert_to_numpy(SamplingLayer(seed=1)([z, z]))
        assert np.std(out) > 0.5

    def test_zero_variance_limit_is_the_mean(self):
        z_mean = np.arange(6, dtype="float32").reshape(2, 3)
        log_var = np.full((2, 3), -60.0, "float32")
        out = keras.ops.convert_to_numpy(
            SamplingLayer(seed=1)([z_mean, log_var])
        )
        np.testing.assert_allclose(out, z_mean, atol=1e-6)

    def test_reproducible_with_seed(self):
        z = np.zeros((8, 4), "float32")
        a = keras.ops.convert_to_numpy(SamplingLayer(seed=5)([z, z]))
        b = keras.ops.convert_to_numpy(SamplingLayer(seed=5)([z, z]))
        c = keras.ops.convert_to_numpy(SamplingLayer(seed=6)([z, z]))
        np.testing.assert_array_equal(a, b)
        assert not np.allclose(a, c)

    def test_successive_calls_differ(self):
        layer = SamplingLayer(seed=5)
        z = np.zeros((8, 4), "float32")
        a = keras.ops.convert_to_numpy(layer([z, z]))
        b = keras.ops.convert_to_numpy(layer([z, z]))
        assert not np.allclose(a, b)

    def test_gradient_flows_to_mean(self):
        inputs = keras.Input((3,))
        z_mean = keras.layers.Dense(2)(inputs)
        z_log_var = keras.layers.Dense(2)(inputs)
        z = SamplingLayer(seed=1)([z_mean, z_log_var])
        model = keras.Model(inputs, z)
        model.compile(optimizer="sgd", loss="mse")
        before = [w.copy() for w in model.get_weights()]
        model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0)
        after = model.get_weights()
        assert all(
            not np.allclose(b, a) for b, a in zip(before, after, strict=True)
        )

    def test_mixed_float16(self):
        keras.config.set_dtype_policy("mixed_float16")
        layer = SamplingLayer(seed=1)
        z = np.zeros((4, 2), "float32")
        out = layer([z, z])
        assert keras.backend.standardize_dtype(out.dtype) == "float16"


class TestSaving:
    def test_keras_round_trip(self, tmp_path):
        z_mean = keras.Input((3,))
        z_log_var = keras.Input((3,))
        z = SamplingLayer(seed=11, name="sampler")([z_mean, z_log_var])
        model = keras.Model([z_mean, z_log_var], z)
        path = tmp_path / "sampler.keras"
        model.save(path)
        loaded = keras.models.load_model(path)
        layer = loaded.get_layer("sampler")
        assert isinstance(layer, SamplingLayer)
        assert layer.seed == 11
        # Unit variance: the output is all noise. The loaded layer's seed
        # generator restarts from the saved seed like the original's, so
        # both draw the same noise, call after call.
        data = [
            np.arange(15, dtype="float32").reshape(5, 3),
            np.zeros((5, 3), "float32"),
        ]
        outputs = []
        for _ in range(2):
            expected = keras.ops.convert_to_numpy(model(data))
            actual = keras.ops.convert_to_numpy(loaded(data))
            np.testing.assert_array_equal(actual, expected)
            assert np.all(np.abs(expected - data[0]) > 0)
            outputs.append(expected)
        assert not np.array_equal(outputs[0], outputs[1])
