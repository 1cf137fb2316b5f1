"""`with_noise_level`: a denoiser that takes a noise-level map, run at one
fixed noise level."""

import keras
from keras import ops

from keras_denoise._validation import validate_number


@keras.saving.register_keras_serializable(package="keras_denoise")
class ConstantNoiseLevel(keras.layers.Layer):
    """A noise-level map of one value, the size of the images it is given.

    The map that FFDNet-style denoisers (for example
    `keras_denoise.models.unet_denoiser(noise_level_input=True)`) take as
    their second input, filled with `noise_level` everywhere.

    Args:
        noise_level: the noise standard deviation on the images' scale
            (`25 / 255` for sigma 25 on images in [0, 1]); a number >= 0.

    Input shape:
        Channels-last images `(batch, height, width, channels)`.

    Output shape:
        `(batch, height, width, 1)`, in the images' dtype.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> layer = keras_denoise.inference.ConstantNoiseLevel(0.25)
    >>> level = keras.ops.convert_to_numpy(layer(np.zeros((2, 5, 7, 3))))
    >>> level.shape, float(level.max())
    ((2, 5, 7, 1), 0.25)
    """

    def __init__(self, noise_level, **kwargs):
        super().__init__(**kwargs)
        self.noise_level = validate_number("noise_level", noise_level)

    def call(self, images):
        return ops.full_like(images[..., :1], self.noise_level)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)

    def get_config(self):
        return {**super().get_config(), "noise_level": self.noise_level}


def with_noise_level(model, noise_level):
    """Wraps a denoiser that takes a noise-level map into a one-input model.

    FFDNet-style denoisers take `[images, noise_level_map]`; the returned
    model takes the images alone and feeds the model a map filled with
    `noise_level`: the strength of the denoising, set once. It is a
    functional `keras.Model` that saves and loads as a `.keras` file, runs
    under `predict_tiled`, and shares its weights with `model` (training
    one trains the other).

    Args:
        model: a Keras model with two inputs, images and a one-channel
            noise-level map of the same height and width, in that order
            (`keras_denoise.models.unet_denoiser(noise_level_input=True)`).
        noise_level: the noise standard deviation on the images' scale
            (`25 / 255` for sigma 25 on images in [0, 1]); a number >= 0.

    Returns:
        A functional `keras.Model` with one input, the images, named
        `"<model name>_at_noise_level"`.

    Raises:
        TypeError: if `model` is not a Keras model or `noise_level` is not
            a number.
        ValueError: if `model` does not take two inputs whose second has
            one channel, or `noise_level` is negative or not finite.

    Example:

    >>> import numpy as np
    >>> model = keras_denoise.models.unet_denoiser(
    ...     filters=(8, 16), noise_level_input=True
    ... )
    >>> at_25 = keras_denoise.inference.with_noise_level(model, 25 / 255)
    >>> images = np.random.rand(1, 20, 20, 1).astype("float32")
    >>> level = np.full((1, 20, 20, 1), 25 / 255, "float32")
    >>> bool(np.allclose(
    ...     at_25.predict(images, verbose=0),
    ...     model.predict([images, level], verbose=0),
    ...     atol=1e-6,
    ... ))
    True
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a keras.Model. Received: model={model!r}"
        )
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 2 or inputs[1].shape[-1] != 1:
        shapes = [tuple(x.shape) for x in inputs]
        raise ValueError(
            "`model` must take two inputs, the images and a one-channel "
            "noise-level map (for example unet_denoiser(noise_level_input="
            f"True)). Received: a model whose inputs have shapes {shapes}"
        )
    level = ConstantNoiseLevel(noise_level, name="noise_level_map")
    images = keras.Input(tuple(inputs[0].shape[1:]), name="images")
    outputs = model([images, level(images)])
    return keras.Model(images, outputs, name=f"{model.name}_at_noise_level")
