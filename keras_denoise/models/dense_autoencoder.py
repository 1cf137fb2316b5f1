"""The `dense_autoencoder` builder."""

import math

import keras

from keras_denoise.models import _validation as v


def dense_autoencoder(
    input_shape,
    hidden_units=(256,),
    latent_dim=64,
    activation="relu",
    output_activation="sigmoid",
    corruption=None,
    name="dense_autoencoder",
):
    """Builds a fully connected (MLP) denoising autoencoder.

    The encoder flattens the input and applies `Dense` layers of
    `hidden_units` then a `Dense(latent_dim)` code; the decoder mirrors it
    and reshapes its output back to `input_shape`.

    Args:
        input_shape: shape of one sample without the batch axis, fully
            defined: an image `(height, width, channels)`, `(height, width)`
            or a vector `(features,)`.
        hidden_units: widths of the hidden encoder layers, outermost first;
            the decoder uses them in reverse. May be empty. Defaults to
            `(256,)`.
        latent_dim: size of the code. Defaults to `64`.
        activation: activation of the hidden layers and of the code.
            Defaults to `"relu"`.
        output_activation: activation of the reconstruction; `"sigmoid"`
            suits images scaled to [0, 1]. Defaults to `"sigmoid"`.
        corruption: optional corruption layer (e.g.
            `keras_denoise.layers.AdditiveGaussianNoise(0.3)`) applied to the
            input inside the model, before the encoder. Corruption layers are
            active only while training, so `fit(x, x)` trains a denoiser on
            clean images and `predict` denoises what it receives. Defaults
            to `None`.
        name: name of the model. Defaults to `"dense_autoencoder"`.

    Returns:
        An uncompiled functional `keras.Model` mapping `input_shape` to
        `input_shape`. It contains the sub-models `"encoder"`
        (`input_shape -> (latent_dim,)`) and `"decoder"`
        (`(latent_dim,) -> input_shape`).

    Raises:
        ValueError: for a shape with undefined or non-positive sizes, or a
            non-positive width, or an unknown activation.
        TypeError: if `corruption` is not a Keras layer.

    Example:

    >>> model = keras_denoise.models.dense_autoencoder((8, 8, 1), latent_dim=16)
    >>> model.compile(optimizer="adam", loss="binary_crossentropy")
    >>> model.get_layer("encoder").output.shape
    (None, 16)
    """
    input_shape = v.validate_input_shape(input_shape, min_rank=1, max_rank=3)
    hidden_units = v.validate_int_sequence(
        "hidden_units", hidden_units, allow_empty=True
    )
    latent_dim = v.validate_positive_int("latent_dim", latent_dim)
    v.validate_activation("activation", activation)
    v.validate_activation("output_activation", output_activation)
    v.validate_layer("corruption", corruption)
    v.validate_name(name)

    encoder_inputs = keras.Input(input_shape, name="encoder_input")
    x = keras.layers.Flatten(name="flatten")(encoder_inputs)
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation, name=f"encoder_dense_{i}")(x)
    code = keras.layers.Dense(latent_dim, activation, name="code")(x)
    encoder = keras.Model(encoder_inputs, code, name="encoder")

    decoder_inputs = keras.Input((latent_dim,), name="decoder_input")
    x = decoder_inputs
    for i, units in enumerate(reversed(hidden_units)):
        x = keras.layers.Dense(units, activation, name=f"decoder_dense_{i}")(x)
    x = keras.layers.Dense(
        math.prod(input_shape), output_activation, name="reconstruction"
    )(x)
    x = keras.layers.Reshape(input_shape, name="reshape")(x)
    decoder = keras.Model(decoder_inputs, x, name="decoder")

    inputs = keras.Input(input_shape, name="input")
    x = v.apply_corruption(inputs, corruption)
    outputs = decoder(encoder(x))
    return keras.Model(inputs, outputs, name=name)
