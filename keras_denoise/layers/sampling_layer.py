"""The `SamplingLayer` of variational autoencoders."""

import keras
from keras import ops

from keras_denoise._validation import validate_seed


def _check_pair(input_shape):
    if (
        not isinstance(input_shape, (list, tuple))
        or len(input_shape) != 2
        or not all(isinstance(s, (list, tuple)) for s in input_shape)
    ):
        raise ValueError(
            "`SamplingLayer` expects a list of two tensors "
            "`[z_mean, z_log_var]`. "
            f"Received: inputs with shape {input_shape!r}"
        )
    mean_shape, log_var_shape = (tuple(s) for s in input_shape)
    compatible = len(mean_shape) == len(log_var_shape) and all(
        a is None or b is None or a == b
        for a, b in zip(mean_shape, log_var_shape, strict=True)
    )
    if not compatible:
        raise ValueError(
            "`z_mean` and `z_log_var` must have the same shape. "
            f"Received: z_mean.shape={mean_shape}, "
            f"z_log_var.shape={log_var_shape}"
        )


def _check_tensors(inputs):
    """Checks `[z_mean, z_log_var]`, tensors or `keras.Input`s."""
    if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
        raise ValueError(
            "`SamplingLayer` expects a list of two tensors "
            f"`[z_mean, z_log_var]`. Received: inputs={inputs!r}"
        )
    z_mean, z_log_var = inputs
    _check_pair([tuple(z_mean.shape), tuple(z_log_var.shape)])
    for name, tensor in (("z_mean", z_mean), ("z_log_var", z_log_var)):
        dtype = keras.backend.standardize_dtype(tensor.dtype)
        if "float" not in dtype:
            raise TypeError(
                f"`{name}` must be a floating-point tensor. "
                f"Received: {name}.dtype={dtype}"
            )


@keras.saving.register_keras_serializable(package="keras_denoise")
class SamplingLayer(keras.layers.Layer):
    """Draws `z = z_mean + exp(0.5 * z_log_var) * eps`, `eps ~ N(0, I)`.

    The reparameterisation trick of variational autoencoders: the sample is
    a differentiable function of `z_mean` and `z_log_var`, so gradients
    flow back into the encoder.

    The layer samples in training **and** at inference, as in the Keras VAE
    example: a VAE's encoder returns `[z_mean, z_log_var, z]`, and `z` is a
    sample of the posterior wherever the encoder runs (generation, latent
    plots of the spread). For a deterministic code, use the encoder's
    `z_mean` output instead of `z`.

    Args:
        seed: integer seed of the layer's `keras.random.SeedGenerator`, for
            reproducible samples. Defaults to `None`.
        **kwargs: base layer arguments such as `name` and `dtype`.

    Call arguments:
        inputs: a list `[z_mean, z_log_var]` of two float tensors of the
            same shape.

    Input shape:
        Two tensors of the same shape, typically `(batch, latent_dim)`.

    Output shape:
        The shape of `z_mean`.

    Raises:
        ValueError: if `seed` is not `None` or a non-negative integer, or if
            the inputs are not two tensors of the same shape.
        TypeError: if the inputs are not floating-point tensors.

    Example:

    >>> import numpy as np
    >>> layer = keras_denoise.layers.SamplingLayer(seed=1)
    >>> z_mean = np.zeros((4, 2), dtype="float32")
    >>> z_log_var = np.zeros((4, 2), dtype="float32")
    >>> z = layer([z_mean, z_log_var])
    >>> tuple(z.shape)
    (4, 2)
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = validate_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def build(self, input_shape):
        _check_pair(input_shape)
        self.built = True

    def call(self, inputs):
        _check_tensors(inputs)
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(
            ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator
        )
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        _check_pair(input_shape)
        return tuple(input_shape[0])

    def compute_output_spec(self, inputs):
        # Functional models are built through this method, not `call`: the
        # dtypes of `keras.Input`s are checked here.
        _check_tensors(inputs)
        return keras.KerasTensor(inputs[0].shape, dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config
