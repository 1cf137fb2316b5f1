"""The `VariationalLossLayer` of variational autoencoders."""

import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_denoise._validation import concrete_value

_RECONSTRUCTIONS = ("binary_crossentropy", "mse", "mae")
_REDUCTIONS = ("sum", "mean")


def _validate_loss_weights(loss_weights):
    if (
        not isinstance(loss_weights, (list, tuple))
        or len(loss_weights) != 2
        or not all(
            isinstance(w, numbers.Real) and not isinstance(w, bool)
            for w in loss_weights
        )
    ):
        raise TypeError(
            "`loss_weights` must be a pair of numbers "
            "(reconstruction_weight, kl_weight). "
            f"Received: loss_weights={loss_weights!r}"
        )
    if not all(math.isfinite(w) and w >= 0 for w in loss_weights):
        raise ValueError(
            "`loss_weights` must be finite and >= 0. "
            f"Received: loss_weights={loss_weights!r}"
        )
    return (float(loss_weights[0]), float(loss_weights[1]))


def _validate_reconstruction(reconstruction):
    if not isinstance(reconstruction, str):
        raise TypeError(
            f"`reconstruction` must be one of {_RECONSTRUCTIONS}. "
            f"Received: reconstruction={reconstruction!r}"
        )
    if reconstruction not in _RECONSTRUCTIONS:
        raise ValueError(
            f"`reconstruction` must be one of {_RECONSTRUCTIONS}. "
            f"Received: reconstruction={reconstruction!r}"
        )
    return reconstruction


def _validate_reduction(reduction):
    if not isinstance(reduction, str):
        raise TypeError(
            f"`reduction` must be one of {_REDUCTIONS}. "
            f"Received: reduction={reduction!r}"
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"`reduction` must be one of {_REDUCTIONS}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction


def _as_given(given, value):
    """`value` (read from a float32 variable) as the number the user gave.

    A float32 variable holds `0.01` as `0.009999999776482582`; while the
    variable still holds the given number, the given number is returned,
    otherwise the shortest decimal that the float32 value prints as.
    """
    value = np.float32(value)
    if np.float32(given) == value:
        return given
    return float(str(value))


def _compatible(shape_a, shape_b):
    return len(shape_a) == len(shape_b) and all(
        a is None or b is None or a == b
        for a, b in zip(shape_a, shape_b, strict=True)
    )


def _check_inputs(input_shape):
    if (
        not isinstance(input_shape, (list, tuple))
        or len(input_shape) != 4
        or not all(isinstance(s, (list, tuple)) for s in input_shape)
    ):
        raise ValueError(
            "`VariationalLossLayer` expects a list of four tensors "
            "`[x, z_mean, z_log_var, y]`. "
            f"Received: inputs with shape {input_shape!r}"
        )
    x, z_mean, z_log_var, y = (tuple(s) for s in input_shape)
    if not _compatible(x, y):
        raise ValueError(
            "`x` (the target) and `y` (the reconstruction) must have the "
            f"same shape. Received: x.shape={x}, y.shape={y}"
        )
    if not _compatible(z_mean, z_log_var):
        raise ValueError(
            "`z_mean` and `z_log_var` must have the same shape. "
            f"Received: z_mean.shape={z_mean}, z_log_var.shape={z_log_var}"
        )
    if len(x) < 2 or len(z_mean) < 2:
        raise ValueError(
            "`x`, `y`, `z_mean` and `z_log_var` must be batches of rank >= "
            f"2. Received: x.shape={x}, z_mean.shape={z_mean}"
        )
    if x[0] is not None and z_mean[0] is not None and x[0] != z_mean[0]:
        raise ValueError(
            "`x` and `z_mean` must have the same batch size. "
            f"Received: x.shape={x}, z_mean.shape={z_mean}"
        )


def _check_tensors(inputs):
    """Checks `[x, z_mean, z_log_var, y]`, tensors or `keras.Input`s."""
    if not isinstance(inputs, (list, tuple)):
        _check_inputs(inputs.shape)
    _check_inputs([tuple(t.shape) for t in inputs])
    names = ("x", "z_mean", "z_log_var", "y")
    for name, tensor in zip(names, inputs, strict=True):
        dtype = keras.backend.standardize_dtype(tensor.dtype)
        if "float" not in dtype:
            raise TypeError(
                f"`{name}` must be a floating-point tensor. "
                f"Received: {name}.dtype={dtype}"
            )


def _check_bce_targets(x):
    """Binary cross-entropy targets must lie in [0, 1].

    Checked when `x` has a value (eager calls); a compiled step sees only
    its shape.
    """
    if 0 in tuple(x.shape):
        return
    # Only the two bounds leave the device.
    known = concrete_value(ops.stack([ops.min(x), ops.max(x)]))
    if known is None:
        return
    low, high = float(known[0]), float(known[1])
    if not (0.0 <= low and high <= 1.0):
        raise ValueError(
            "`x` (the target) must be in [0, 1] with "
            "reconstruction='binary_crossentropy'; use 'mse' or 'mae' for "
            f"other ranges. Received: x in [{low:g}, {high:g}]"
        )


class _LossTermMean(keras.metrics.Metric):
    """Reads a running mean that the owning layer keeps in its own state.

    The sums live in non-trainable variables of the layer (updated in its
    `call`), not in metric variables: layer state is carried through
    `stateless_call` by every backend's trainer, metric state updated inside
    `call` is not on JAX (keras-team/keras#21639).

    On JAX the trainer computes the per-batch logs inside the compiled step
    with only the metric variables mapped, so layer state cannot be read
    there. `keras_denoise.models.VariationalModel.compute_loss` (where JAX
    maps every variable) therefore calls `capture()`, which copies the sums
    into this metric's own variables; from then on `result()` reads the
    copies.
    """

    def __init__(self, total, count, name):
        super().__init__(name=name, dtype="float32")
        # A closure, so that the layer's variables are not tracked a second
        # time as variables of this metric.
        self._state = lambda: (total, count)
        self._captured_total = self.add_variable(
            shape=(), initializer="zeros", name="captured_total"
        )
        self._captured_count = self.add_variable(
            shape=(), initializer="zeros", name="captured_count"
        )
        self._read_captured = False

    def update_state(self, *args, **kwargs):
        # Updated by the layer's `call`.
        pass

    def capture(self):
        """Copies the layer's running sums into this metric's variables."""
        total, count = self._state()
        self._captured_total.assign(total.value)
        self._captured_count.assign(count.value)
        self._read_captured = True

    def reset_state(self):
        for variable in (
            *self._state(),
            self._captured_total,
            self._captured_count,
        ):
            variable.assign(0.0)

    def result(self):
        if self._read_captured:
            return ops.divide_no_nan(
                ops.convert_to_tensor(self._captured_total),
                ops.convert_to_tensor(self._captured_count),
            )
        try:
            total, count = (ops.convert_to_tensor(v) for v in self._state())
        except TypeError:
            if keras.backend.backend() != "jax":
                raise
            # A plain `keras.Model` on JAX: the per-batch logs cannot read
            # layer state (see the class docstring). The epoch logs, read
            # after the trainer writes the state back, are exact.
            return ops.convert_to_tensor(float("nan"), dtype="float32")
        return ops.divide_no_nan(total, count)


@keras.saving.register_keras_serializable(package="keras_denoise")
class VariationalLossLayer(keras.layers.Layer):
    """Adds the VAE loss `k1 * reconstruction + k2 * KL` and passes `y` on.

    Put this layer at the end of a variational autoencoder: it receives the
    target `x`, the encoder's `z_mean` and `z_log_var` and the decoder's
    reconstruction `y`, adds the loss with `add_loss` and returns `y`
    unchanged, so the model trains with `model.compile(optimizer=...)` and
    no `loss` argument.

    With `reduction="sum"` (the default) both terms follow the usual VAE
    convention: summed over all the non-batch axes (pixels and channels,
    latent dimensions) and averaged over the batch. With `reduction="mean"`
    they are averaged over those axes instead (the reconstruction over the
    pixels and channels, the KL over the latent dimensions), as many course
    notebooks' VAE layers do; the "sum" terms are then `P` (values per
    image) and `d` (latent dimensions) times larger, so the same
    `loss_weights` weigh the KL `P / d` times more under "mean".

    - reconstruction: `binary_crossentropy` (targets and reconstructions in
      [0, 1]: targets outside are refused when the layer is called
      eagerly; the reconstruction is clipped to `[eps, 1 - eps]` with
      `eps = keras.config.epsilon()`), `mse` (squared error) or `mae`
      (absolute error);
    - KL: `-0.5 * sum(1 + z_log_var - z_mean**2 - exp(z_log_var))`.

    The weights `k1` and `k2` live in the non-trainable float32 variables
    `reconstruction_weight` and `kl_weight`. Assigning them changes the loss
    of a compiled model without recompiling, e.g. from a callback at the
    start of an epoch: `layer.kl_weight.assign(0.5)`. `get_config()` stores
    their current values as `loss_weights`: the numbers that were passed
    (`(1.0, 0.01)` comes back as `(1.0, 0.01)`, not as the float32 value
    `0.009999999776482582`) while the variables still hold them.

    The loss is computed in float32 whatever the dtype policy (e.g.
    `"mixed_float16"`).

    Logs: `fit` and `evaluate` report `reconstruction_loss` and `kl_loss`,
    the **unweighted** terms, as means over the samples seen in the epoch
    (weighted by batch size, like `loss`). While the weights are constant
    during an epoch and the model has no other loss,
    `loss == k1 * reconstruction_loss + k2 * kl_loss`. Two such layers in one
    model share these log names; the last one wins.

    Backends: on TensorFlow and PyTorch the per-batch and the epoch logs
    are exact in any model. On JAX, build the model with
    `keras_denoise.models.VariationalModel(inputs, outputs)` (a functional
    model, as `keras.Model(inputs, outputs)`; the `variational_autoencoder`
    builder returns one) and both logs are exact too. In a plain
    `keras.Model` on JAX, the epoch logs of `fit` (the `History`) and the
    results of `evaluate` are exact but the per-batch logs (progress bar,
    `on_train_batch_end`) show `nan` for the two terms: JAX's trainer
    computes them inside the compiled step, where it exposes only metric
    variables, and metrics updated inside `call` do not work on JAX
    (keras-team/keras#21639). The running sums therefore live in
    non-trainable variables of the layer, which every trainer carries, and
    `VariationalModel.compute_loss` copies them into metric variables.
    They are part of the layer's weights (saved with the model, like a
    `BatchNormalization`'s statistics) and have no effect on the outputs.

    Args:
        loss_weights: pair `(k1, k2)` of non-negative numbers, the weights
            of the reconstruction and the KL term. Defaults to `(1.0, 1.0)`.
        reconstruction: `"binary_crossentropy"`, `"mse"` or `"mae"`.
            Defaults to `"binary_crossentropy"`.
        reduction: `"sum"` or `"mean"`: how each term is reduced over the
            non-batch axes (both are averaged over the batch). Defaults to
            `"sum"`.
        **kwargs: base layer arguments such as `name` and `dtype`.

    Call arguments:
        inputs: a list `[x, z_mean, z_log_var, y]`: the target images, the
            encoder's mean and log-variance, the reconstruction.

    Input shape:
        `x` and `y` of the same shape `(batch, ...)`; `z_mean` and
        `z_log_var` of the same shape `(batch, latent_dim)`.

    Output shape:
        The shape of `y`.

    Raises:
        TypeError: if `loss_weights` is not a pair of numbers, if
            `reconstruction` or `reduction` is not a string, or if an input
            is not a floating-point tensor.
        ValueError: if a loss weight is negative or not finite, if
            `reconstruction` or `reduction` is an unknown name, or if the
            inputs are not four tensors of consistent shapes, or (eager
            calls) a binary cross-entropy target lies outside [0, 1].

    Example:

    >>> import numpy as np
    >>> layer = keras_denoise.layers.VariationalLossLayer(
    ...     loss_weights=(1.0, 0.5), reconstruction="mse"
    ... )
    >>> x = np.full((2, 4), 0.5, dtype="float32")
    >>> z = np.zeros((2, 2), dtype="float32")
    >>> y = layer([x, z, z, x])
    >>> tuple(y.shape)
    (2, 4)
    >>> float(layer.kl_weight.numpy())
    0.5
    """

    def __init__(
        self,
        loss_weights=(1.0, 1.0),
        reconstruction="binary_crossentropy",
        reduction="sum",
        **kwargs,
    ):
        super().__init__(**kwargs)
        k1, k2 = _validate_loss_weights(loss_weights)
        self._given_loss_weights = (k1, k2)
        self.reconstruction = _validate_reconstruction(reconstruction)
        self.reduction = _validate_reduction(reduction)
        self.reconstruction_weight = self._float32_state(
            "reconstruction_weight", k1
        )
        self.kl_weight = self._float32_state("kl_weight", k2)
        self.reconstruction_loss_sum = self._float32_state(
            "reconstruction_loss_sum", 0.0, aggregation="sum"
        )
        self.kl_loss_sum = self._float32_state(
            "kl_loss_sum", 0.0, aggregation="sum"
        )
        self.sample_count = self._float32_state(
            "sample_count", 0.0, aggregation="sum"
        )
        self.reconstruction_loss_tracker = _LossTermMean(
            self.reconstruction_loss_sum,
            self.sample_count,
            name="reconstruction_loss",
        )
        self.kl_loss_tracker = _LossTermMean(
            self.kl_loss_sum, self.sample_count, name="kl_loss"
        )

    def _float32_state(self, name, value, aggregation="none"):
        if aggregation == "none":
            return self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(value),
                dtype="float32",
                trainable=False,
                autocast=False,
                name=name,
            )
        # Running sums are updated by every replica inside `call`. As
        # on-read variables each replica adds to its own copy and a read
        # sums them, like a metric's state; on-write (mirrored) variables
        # would need a cross-replica merge at every update, in the middle of
        # the forward pass, under `tf.distribute`.
        with keras.name_scope(self.name):
            return keras.Variable(
                initializer=keras.initializers.Constant(value),
                shape=(),
                dtype="float32",
                trainable=False,
                autocast=False,
                aggregation=aggregation,
                synchronization="on_read",
                name=name,
            )

    @property
    def loss_weights(self):
        """The current `(k1, k2)` as Python floats (as given, see above)."""
        return tuple(
            _as_given(given, ops.convert_to_numpy(variable))
            for given, variable in zip(
                self._given_loss_weights,
                (self.reconstruction_weight, self.kl_weight),
                strict=True,
            )
        )

    def build(self, input_shape):
        _check_inputs(input_shape)
        self.built = True

    def _reconstruction_per_sample(self, x, y):
        if self.reconstruction == "binary_crossentropy":
            eps = keras.config.epsilon()
            y = ops.clip(y, eps, 1.0 - eps)
            elementwise = -(x * ops.log(y) + (1.0 - x) * ops.log(1.0 - y))
        elif self.reconstruction == "mse":
            elementwise = ops.square(x - y)
        else:
            elementwise = ops.abs(x - y)
        return self._reduce(elementwise)

    def _reduce(self, values):
        axes = tuple(range(1, len(values.shape)))
        if self.reduction == "mean":
            return ops.mean(values, axis=axes)
        return ops.sum(values, axis=axes)

    def compute_loss_terms(self, x, z_mean, z_log_var, y):
        """Returns the unweighted `(reconstruction, kl)` batch means.

        Both are float32 scalars: summed (or averaged, with
        `reduction="mean"`) over the non-batch axes and averaged over the
        batch.
        """
        x, z_mean, z_log_var, y = (
            ops.cast(t, "float32") for t in (x, z_mean, z_log_var, y)
        )
        kl = -0.5 * self._reduce(
            1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)
        )
        # An empty batch adds nothing: its mean is taken as 0, not 0 / 0.
        count = ops.maximum(ops.cast(ops.shape(x)[0], "float32"), 1.0)
        reconstruction = ops.sum(self._reconstruction_per_sample(x, y))
        return reconstruction / count, ops.sum(kl) / count

    def call(self, inputs):
        _check_tensors(inputs)
        x, z_mean, z_log_var, y = inputs
        if self.reconstruction == "binary_crossentropy":
            _check_bce_targets(x)
        reconstruction, kl = self.compute_loss_terms(x, z_mean, z_log_var, y)
        self.add_loss(
            self.reconstruction_weight * reconstruction + self.kl_weight * kl
        )
        batch_size = ops.cast(ops.shape(x)[0], "float32")
        self.reconstruction_loss_sum.assign_add(reconstruction * batch_size)
        self.kl_loss_sum.assign_add(kl * batch_size)
        self.sample_count.assign_add(batch_size)
        return y

    def _capture_loss_terms(self):
        # Called by `VariationalModel.compute_loss` on JAX, after the
        # forward pass, where both the layer's and the metrics' variables
        # are mapped: see `_LossTermMean`.
        self.reconstruction_loss_tracker.capture()
        self.kl_loss_tracker.capture()

    def compute_output_shape(self, input_shape):
        _check_inputs(input_shape)
        return tuple(input_shape[3])

    def compute_output_spec(self, inputs):
        # Functional models are built through this method, not `call`: the
        # dtypes of `keras.Input`s are checked here.
        _check_tensors(inputs)
        return keras.KerasTensor(inputs[3].shape, dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "loss_weights": self.loss_weights,
                "reconstruction": self.reconstruction,
                "reduction": self.reduction,
            }
        )
        return config
