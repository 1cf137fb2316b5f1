"""Checks shared by the tests of the corruption layers.

Each function takes a factory `make_layer(**overrides)` that returns a fresh
layer, so that the same check runs for every corruption layer with its own
severity arguments.
"""

import inspect

import keras
import numpy as np
import pytest
from keras import ops


def images(shape=(4, 8, 8, 3), seed=0, low=0.1, high=0.9):
    """Random float32 images with values in `[low, high]`."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape).astype("float32")


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def mean_tolerance(stddev, n, z=5.0):
    """`z` standard errors of the mean of `n` values of spread `stddev`."""
    return z * stddev / np.sqrt(n)


def std_tolerance(stddev, n, z=5.0):
    """`z` standard errors of the standard deviation of `n` normal values."""
    return z * stddev / np.sqrt(2.0 * n)


def assert_identity_at_inference(layer, x):
    """`training=False` (and no `training`) returns the input unchanged."""
    np.testing.assert_array_equal(to_numpy(layer(x, training=False)), x)
    np.testing.assert_array_equal(to_numpy(layer(x)), x)


def assert_config_round_trip(layer):
    """Every constructor argument is in the config, and it round-trips."""
    config = layer.get_config()
    parameters = inspect.signature(type(layer).__init__).parameters
    for name, parameter in parameters.items():
        if name == "self" or parameter.kind is parameter.VAR_KEYWORD:
            continue
        assert name in config, f"{name} missing from get_config()"
    restored = type(layer).from_config(config)
    assert type(restored) is type(layer)
    assert restored.get_config() == config
    return restored


def assert_reproducible(make_layer, x):
    """Same seed, same output; another seed, another output."""
    first = to_numpy(make_layer(seed=7)(x, training=True))
    second = to_numpy(make_layer(seed=7)(x, training=True))
    other = to_numpy(make_layer(seed=8)(x, training=True))
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def assert_keras_file_round_trip(make_layer, x, tmp_path):
    """A functional model with the layer saves and loads as `.keras`.

    The loaded model gives identical outputs at inference (the identity)
    and, since its seed generator restarts from the saved `seed` like the
    original's, identical outputs in training mode too.
    """
    inputs = keras.Input(shape=x.shape[1:])
    outputs = make_layer(seed=11, name="corruption")(inputs)
    model = keras.Model(inputs, outputs)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)

    original_layer = model.get_layer("corruption")
    loaded_layer = loaded.get_layer("corruption")
    assert type(loaded_layer) is type(original_layer)
    assert loaded_layer.get_config() == original_layer.get_config()
    np.testing.assert_array_equal(to_numpy(loaded(x, training=False)), x)
    for _ in range(2):
        expected = to_numpy(model(x, training=True))
        actual = to_numpy(loaded(x, training=True))
        np.testing.assert_array_equal(actual, expected)
    assert not np.array_equal(expected, x)


def assert_mixed_precision(make_layer, x, policy):
    """Under a mixed policy the output has the compute dtype."""
    keras.config.set_dtype_policy(policy)
    try:
        layer = make_layer(seed=3)
        compute_dtype = layer.compute_dtype
        inputs = ops.cast(x, compute_dtype)
        outputs = layer(inputs, training=True)
        assert keras.backend.standardize_dtype(outputs.dtype) == compute_dtype
        inference = layer(inputs, training=False)
        assert keras.backend.standardize_dtype(inference.dtype) == (
            compute_dtype
        )
        values = to_numpy(ops.cast(outputs, "float32"))
    finally:
        keras.config.set_dtype_policy("float32")
    assert values.shape == x.shape
    assert np.all(np.isfinite(values))
    return values


# Unit roundoff `u` of the compute dtypes: rounding a value `v` to the
# dtype moves it by at most `u * |v|` (8 significand bits for bfloat16, 11
# for float16).
UNIT_ROUNDOFF = {"bfloat16": 2.0**-8, "float16": 2.0**-11}


def assert_mixed_precision_statistics(
    make_fixed_layer, policy, shape=(16, 32, 32, 3), z=5.0
):
    """Under a mixed policy a noise layer keeps its float32 mean and std.

    `make_fixed_layer` makes the layer with a fixed severity, so that the
    two runs below draw from one law. The change `output - input` under
    `policy` (input rounded to the compute dtype first) is compared with
    the change in float32, in mean and in standard deviation. Tolerance:
    `z` standard errors of the difference of two independent samples,
    from the float32 sample's own moments (any law; layers that draw their
    noise in float32 draw the same noise in both runs, which only makes
    this conservative), plus the effect of the compute dtype: the output
    is the exact corruption up to at most four roundings (noise,
    severity, product, sum), each moving a value by at most `u * m`, `m`
    the largest of |input|, |output|, |change| at that pixel; such a
    perturbation moves the mean and the std by at most its root mean
    square, `4 u rms(m)` (about 0.009 for bfloat16 and images in
    [0.1, 0.9], 0.0012 for float16). A rough check for bfloat16 (about
    10% of a noise std of 0.1); the layers' own tests check tighter.
    """
    x = images(shape, seed=1)
    reference = to_numpy(make_fixed_layer(seed=3)(x, training=True))
    reference = reference.astype("float64") - x
    keras.config.set_dtype_policy(policy)
    try:
        layer = make_fixed_layer(seed=3)
        compute_dtype = layer.compute_dtype
        inputs = ops.cast(x, compute_dtype)
        outputs = layer(inputs, training=True)
        assert keras.backend.standardize_dtype(outputs.dtype) == compute_dtype
        rounded = to_numpy(ops.cast(inputs, "float32")).astype("float64")
        outputs = to_numpy(ops.cast(outputs, "float32")).astype("float64")
    finally:
        keras.config.set_dtype_policy("float32")
    change = outputs - rounded

    n = reference.size
    std = reference.std()
    fourth = np.mean((reference - reference.mean()) ** 4)
    mean_error = z * np.sqrt(2.0 / n) * std
    # Var(s^2) ~ (mu4 - sigma^4) / n; s = sqrt(s^2): divide by 2 sigma.
    std_error = z * np.sqrt(2.0 * (fourth - std**4) / n) / (2.0 * std)
    magnitude = np.maximum.reduce(
        [np.abs(rounded), np.abs(outputs), np.abs(change)]
    )
    rounding = (
        4.0 * UNIT_ROUNDOFF[compute_dtype] * np.sqrt(np.mean(magnitude**2))
    )
    assert abs(change.mean() - reference.mean()) < mean_error + rounding, (
        f"{policy}: mean change {change.mean():.5f}, float32 "
        f"{reference.mean():.5f}, tolerance {mean_error + rounding:.5f}"
    )
    assert abs(change.std() - std) < std_error + rounding, (
        f"{policy}: std of the change {change.std():.5f}, float32 "
        f"{std:.5f}, tolerance {std_error + rounding:.5f}"
    )


def assert_works_in_tf_data(make_layer, x):
    """The layer runs inside `Dataset.map`, batched and per image."""
    tf = pytest.importorskip("tensorflow")

    layer = make_layer(seed=5)
    batched = (
        tf.data.Dataset.from_tensor_slices(x)
        .batch(2)
        .map(lambda batch: layer(batch, training=True))
    )
    outputs = np.concatenate([b.numpy() for b in batched])
    assert outputs.shape == x.shape
    assert not np.array_equal(outputs, x)

    single = tf.data.Dataset.from_tensor_slices(x).map(
        lambda image: layer(image, training=True),
        num_parallel_calls=2,
    )
    outputs = np.stack([image.numpy() for image in single])
    assert outputs.shape == x.shape
    assert not np.array_equal(outputs, x)
    return outputs


def assert_fits_with_xla(make_layer, x):
    """`fit` with `jit_compile=True` runs, and XLA compiles the layer."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # The layer lowers to XLA's HLO (no op without an XLA kernel).
        layer = make_layer(seed=9)
        compiled = tf.function(
            lambda batch: layer(batch, training=True), jit_compile=True
        )
        hlo = compiled.experimental_get_compiler_ir(tf.constant(x))(stage="hlo")
        assert "HloModule" in hlo

    # Keras keeps `jit_compile=True` (it would warn and fall back to False
    # for a layer that does not support XLA), and neither TensorFlow nor
    # JAX falls back silently from a jit-compiled function.
    # Two models with the same weights and the same layer seed train
    # identically: the seed generator's state is carried through the
    # compiled step (the per-backend reproducibility contract).
    histories, weights = [], None
    for _ in range(2):
        inputs = keras.Input(shape=x.shape[1:])
        hidden = make_layer(seed=9)(inputs)
        outputs = keras.layers.Conv2D(x.shape[-1], 1)(hidden)
        model = keras.Model(inputs, outputs)
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        model.compile(optimizer="sgd", loss="mse", jit_compile=True)
        assert model.jit_compile is True
        history = model.fit(
            x, x, batch_size=2, epochs=2, shuffle=False, verbose=0
        )
        histories.append(history.history["loss"])
    assert np.all(np.isfinite(histories[0]))
    np.testing.assert_array_equal(histories[0], histories[1])


def assert_rank3_input(make_layer, x):
    """A single image (rank 3) is corrupted and keeps its shape."""
    layer = make_layer(seed=4)
    outputs = to_numpy(layer(x[0], training=True))
    assert outputs.shape == x[0].shape
    assert not np.array_equal(outputs, x[0])


def assert_rejects_bad_inputs(make_layer):
    """Integer images and wrong ranks fail with a message naming them."""
    layer = make_layer()
    with pytest.raises(TypeError, match=r"inputs.dtype=int32"):
        layer(np.zeros((2, 4, 4, 1), dtype="int32"), training=True)
    with pytest.raises(ValueError, match=r"inputs.shape=\(4, 4\)"):
        layer(np.zeros((4, 4), dtype="float32"), training=True)


def assert_rejects_bad_symbolic_inputs(make_layer):
    """A bad `keras.Input` fails when the model is built, not at `fit`."""
    with pytest.raises(ValueError, match=r"inputs.shape=\(None, 16\)"):
        make_layer()(keras.Input((16,)))
    with pytest.raises(TypeError, match=r"inputs.dtype=int32"):
        make_layer()(keras.Input((8, 8, 1), dtype="int32"))
    with pytest.raises(TypeError, match=r"inputs.dtype=uint8"):
        keras.Sequential([keras.Input((8, 8, 3), dtype="uint8"), make_layer()])
    with pytest.raises(ValueError, match=r"inputs.shape=\(None, 2, 8, 8, 1\)"):
        inputs = keras.Input((2, 8, 8, 1))
        keras.Model(inputs, make_layer()(inputs))


def assert_symbolic_output_spec(make_layer, policy):
    """A `keras.Input` gives an output of its shape in the compute dtype."""
    keras.config.set_dtype_policy(policy)
    try:
        layer = make_layer()
        for shape in ((8, 8, 3), (None, None, 1)):
            output = layer(keras.Input(shape))
            assert tuple(output.shape) == (None, *shape)
            assert output.dtype == layer.compute_dtype
        # A float64 input is cast to the compute dtype, as in `call`.
        output = layer(keras.Input((8, 8, 3), dtype="float64"))
        assert output.dtype == layer.compute_dtype
    finally:
        keras.config.set_dtype_policy("float32")


class CorruptionLayerChecks:
    """Tests every corruption layer must pass; subclass it as `Test...`.

    Subclasses set `make_layer`, a static method `make_layer(**overrides)`
    returning a fresh layer with a non-trivial severity, and may set
    `shape`, the batch shape used by the checks.
    """

    shape = (4, 8, 8, 3)
    # Optionally, a static method `make_fixed_layer(**overrides)` returning
    # the layer with a fixed severity: the mixed-precision tests then also
    # compare the corruption's mean and std with float32.
    make_fixed_layer = None

    @staticmethod
    def make_layer(**overrides):
        raise NotImplementedError

    def x(self):
        return images(self.shape)

    def test_identity_at_inference(self):
        assert_identity_at_inference(self.make_layer(seed=1), self.x())

    def test_config_round_trip(self):
        assert_config_round_trip(self.make_layer(seed=1))

    def test_reproducible_with_a_seed(self):
        assert_reproducible(self.make_layer, self.x())

    def test_keras_file_round_trip(self, tmp_path):
        assert_keras_file_round_trip(self.make_layer, self.x(), tmp_path)

    def _check_mixed_precision(self, policy):
        assert_mixed_precision(self.make_layer, self.x(), policy)
        if self.make_fixed_layer is not None:
            assert_mixed_precision_statistics(self.make_fixed_layer, policy)

    def test_mixed_float16(self):
        self._check_mixed_precision("mixed_float16")

    def test_mixed_bfloat16(self):
        self._check_mixed_precision("mixed_bfloat16")

    @pytest.mark.requires_tensorflow(
        reason="tf.data runs the layer as TensorFlow graph ops, which only "
        "the TensorFlow backend's keras.ops produce"
    )
    def test_tf_data_map(self):
        assert_works_in_tf_data(self.make_layer, self.x())

    @pytest.mark.slow
    def test_fit_with_jit_compile(self):
        if keras.backend.backend() == "torch":
            pytest.skip(
                "jit_compile=True on PyTorch is torch.compile, not XLA: it "
                "passes but compiles slowly for every layer on CPU"
            )
        assert_fits_with_xla(self.make_layer, self.x())

    def test_rank3_input(self):
        assert_rank3_input(self.make_layer, self.x())

    def test_rejects_bad_inputs(self):
        assert_rejects_bad_inputs(self.make_layer)

    def test_rejects_bad_symbolic_inputs(self):
        assert_rejects_bad_symbolic_inputs(self.make_layer)

    @pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
    def test_symbolic_output_spec(self, policy):
        assert_symbolic_output_spec(self.make_layer, policy)
