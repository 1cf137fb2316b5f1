"""The `variational_autoencoder` builder."""

import math

import keras

from keras_denoise.layers import SamplingLayer
from keras_denoise.layers import VariationalLossLayer
from keras_denoise.models import _validation as v
from keras_denoise.models.variational_model import VariationalModel

_ARCHITECTURES = ("conv", "dense")


def variational_autoencoder(
    input_shape,
    latent_dim=2,
    loss_weights=(1.0, 1.0),
    architecture="conv",
    filters=(32, 64),
    hidden_units=(128,),
    reconstruction="binary_crossentropy",
    output_activation="sigmoid",
    corruption=None,
    seed=None,
    name="variational_autoencoder",
):
    """Builds a convolutional or dense variational autoencoder (VAE).

    The `"encoder"` sub-model maps an image to `[z_mean, z_log_var, z]`,
    where `z` is drawn by a `keras_denoise.layers.SamplingLayer`. The
    `"decoder"` sub-model maps a code `z` of shape `(latent_dim,)` to an
    image, so it generates images on its own:
    `decoder.predict(keras.random.normal((n, latent_dim)))`. The full model
    reconstructs `decoder(z)` and ends with a
    `keras_denoise.layers.VariationalLossLayer` that adds
    `k1 * reconstruction + k2 * KL`, so it trains with
    `model.compile(optimizer=...)` and `model.fit(x)`, no `loss` or target
    needed; `fit` logs `reconstruction_loss` and `kl_loss`.

    With a `corruption` layer the encoder sees corrupted images while
    training and the reconstruction is compared with the clean input: a
    denoising VAE.

    `architecture="conv"`: stride-2 convolutions with `filters`, then dense
    layers of `hidden_units`; the decoder mirrors them with transposed
    convolutions. Sizes that are not a multiple of `2**len(filters)` are
    zero-padded in the encoder and cropped at the end of the decoder, so
    reconstructions always have the input's shape.
    `architecture="dense"`: the image is flattened and goes through dense
    layers of `hidden_units` (`filters` is then ignored).

    The encoder samples `z` at inference too (the sampling layer always
    samples), so `predict` of the full model is random; use the encoder's
    `z_mean` for a deterministic code.

    Args:
        input_shape: `(height, width, channels)`, channels last, fully
            defined.
        latent_dim: size of the latent code. Defaults to `2`.
        loss_weights: `(k1, k2)`, the weights of the reconstruction and KL
            terms; they live in variables of the loss layer, e.g. for
            `keras_denoise.callbacks.KLAnnealing`. Defaults to `(1.0, 1.0)`.
        architecture: `"conv"` or `"dense"`. Defaults to `"conv"`.
        filters: filters of the convolution stages (conv only). Defaults
            to `(32, 64)`.
        hidden_units: widths of the dense layers before the code; may be
            empty. Defaults to `(128,)`.
        reconstruction: reconstruction term of the loss,
            `"binary_crossentropy"`, `"mse"` or `"mae"`. Defaults to
            `"binary_crossentropy"`.
        output_activation: activation of the decoder's output. Defaults to
            `"sigmoid"`.
        corruption: optional corruption layer applied to the encoder's
            input inside the model; active only while training. Defaults to
            `None`.
        seed: integer seed of the sampling layer. Defaults to `None`.
        name: name of the model. Defaults to `"variational_autoencoder"`.

    Returns:
        An uncompiled functional `keras.Model` (a
        `keras_denoise.models.VariationalModel`, so that the loss terms
        reach the per-batch logs on JAX too) mapping `input_shape` to its
        reconstruction, with the sub-models `"encoder"` and `"decoder"` and
        the loss layer `"vae_loss"`.

    Raises:
        ValueError: for a bad shape, `latent_dim`, `filters`,
            `hidden_units`, `architecture`, `seed`, loss weights or
            reconstruction name.
        TypeError: if `corruption` is not a Keras layer or `loss_weights`
            is not a pair of numbers.

    Example:

    >>> vae = keras_denoise.models.variational_autoencoder(
    ...     (16, 16, 1), latent_dim=2
    ... )
    >>> vae.compile(optimizer="adam")
    >>> decoder = vae.get_layer("decoder")
    >>> decoder.output.shape
    (None, 16, 16, 1)
    """
    input_shape = v.validate_input_shape(input_shape)
    latent_dim = v.validate_positive_int("latent_dim", latent_dim)
    architecture = v.validate_choice(
        "architecture", architecture, _ARCHITECTURES
    )
    filters = v.validate_int_sequence("filters", filters)
    hidden_units = v.validate_int_sequence(
        "hidden_units", hidden_units, allow_empty=True
    )
    v.validate_activation("output_activation", output_activation)
    v.validate_layer("corruption", corruption)
    v.validate_name(name)
    # The layers validate these (loss_weights, reconstruction, seed).
    loss_layer = VariationalLossLayer(
        loss_weights=loss_weights,
        reconstruction=reconstruction,
        name="vae_loss",
    )
    sampling = SamplingLayer(seed=seed, name="z")

    encoder_inputs = keras.Input(input_shape, name="encoder_input")
    padding = ((0, 0), (0, 0))
    if architecture == "conv":
        x, padding = v.pad_to_multiple(encoder_inputs, 2 ** len(filters), "pad")
        for i, f in enumerate(filters):
            x = keras.layers.Conv2D(
                f,
                3,
                strides=2,
                padding="same",
                activation="relu",
                name=f"encoder_conv_{i}",
            )(x)
        feature_shape = tuple(x.shape[1:])
    else:
        x = encoder_inputs
        feature_shape = input_shape
    x = keras.layers.Flatten(name="flatten")(x)
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, "relu", name=f"encoder_dense_{i}")(x)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(x)
    z = sampling([z_mean, z_log_var])
    encoder = keras.Model(
        encoder_inputs, [z_mean, z_log_var, z], name="encoder"
    )

    decoder_inputs = keras.Input((latent_dim,), name="decoder_input")
    x = decoder_inputs
    for i, units in enumerate(reversed(hidden_units)):
        x = keras.layers.Dense(units, "relu", name=f"decoder_dense_{i}")(x)
    if architecture == "conv":
        x = keras.layers.Dense(
            math.prod(feature_shape), "relu", name="decoder_features"
        )(x)
        x = keras.layers.Reshape(feature_shape, name="reshape")(x)
        for i, f in enumerate(reversed(filters)):
            x = keras.layers.Conv2DTranspose(
                f,
                3,
                strides=2,
                padding="same",
                activation="relu",
                name=f"decoder_conv_{i}",
            )(x)
        x = keras.layers.Conv2D(
            input_shape[-1],
            3,
            padding="same",
            activation=output_activation,
            name="reconstruction",
        )(x)
        x = v.crop(x, padding, "crop")
    else:
        x = keras.layers.Dense(
            math.prod(input_shape), output_activation, name="reconstruction"
        )(x)
        x = keras.layers.Reshape(input_shape, name="reshape")(x)
    decoder = keras.Model(decoder_inputs, x, name="decoder")

    inputs = keras.Input(input_shape, name="input")
    z_mean, z_log_var, z = encoder(v.apply_corruption(inputs, corruption))
    outputs = loss_layer([inputs, z_mean, z_log_var, decoder(z)])
    return VariationalModel(inputs, outputs, name=name)
