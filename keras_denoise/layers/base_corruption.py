"""The base class of the corruption layers."""

import keras
from keras import ops

from keras_denoise._tf_graph import in_foreign_tf_graph
from keras_denoise._tf_graph import run_in_tf_graph
from keras_denoise._validation import check_image_batch
from keras_denoise._validation import validate_data_format
from keras_denoise._validation import validate_seed
from keras_denoise._validation import validate_value_range
from keras_denoise.layers._random import clip_to_range


@keras.saving.register_keras_serializable(package="keras_denoise")
class BaseCorruption(keras.layers.Layer):
    """Base class of the image corruption layers.

    A corruption layer is active only when called with `training=True` and
    is the identity otherwise, like `keras.layers.GaussianNoise`. In a
    `tf.data` pipeline call it as `layer(images, training=True)`, or call
    `corrupt(images)`, which always corrupts.

    Subclasses validate their own severity arguments and implement one
    method, `corrupt_batch(images)`: it receives a rank-4 float batch in
    the layer's `data_format` and the layer's compute dtype, and returns the
    corrupted batch before clipping (the base class adds the batch axis for
    single images and clips to `value_range`). Draw randomness with
    `keras.random` and `seed=self.seed_generator`.

    A corruption whose output is `clip(images + delta, value_range)` may
    also implement the optional `additive_noise(images, weight, draws)`,
    which returns `delta`: `RandomCorruption` then adds the deltas of such
    corruptions to the batch together and clips once, which is faster than
    computing every corruption's output. The default returns `None` (not of
    that form), and everything works without it.

    Args:
        value_range: `(min, max)` of the image values. The corrupted images
            are clipped to it; `None` disables clipping. Defaults to
            `(0.0, 1.0)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        seed: integer seed of the layer's `keras.random.SeedGenerator`, for
            reproducible corruption. Defaults to `None`.
        **kwargs: base layer arguments such as `name` and `dtype`.

    Call arguments:
        inputs: a float image `(height, width, channels)` or a batch
            `(batch, height, width, channels)` (channels first with
            `data_format="channels_first"`).
        training: Python boolean; corrupt only when `True`.

    Input shape:
        Rank-3 or rank-4 float tensor.

    Output shape:
        Same as the input.

    Raises:
        ValueError: if `value_range`, `data_format` or `seed` is invalid, or
            the input (a tensor, or a `keras.Input` while a model is built)
            is not of rank 3 or 4.
        TypeError: if `value_range` is not a pair of numbers, or the input
            is not a floating-point tensor.

    Example:

    A corruption that brightens every pixel by 0.25, clipped to [0, 1]:

    >>> import numpy as np
    >>> class Brighten(keras_denoise.layers.BaseCorruption):
    ...     def corrupt_batch(self, images):
    ...         return images + 0.25
    >>> layer = Brighten()
    >>> images = np.full((2, 4, 4, 1), 0.5, dtype="float32")
    >>> float(keras.ops.max(layer(images, training=True)))
    0.75
    >>> float(keras.ops.max(layer(images)))
    0.5
    >>> float(keras.ops.max(layer(np.ones((2, 4, 4, 1)), training=True)))
    1.0
    """

    def __init__(
        self, value_range=(0.0, 1.0), data_format=None, seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.value_range = validate_value_range(value_range)
        self.data_format = validate_data_format(data_format)
        self.seed = validate_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        # No weights to create: the layer is usable (and traceable inside
        # tf.data functions) without a build step.
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        if in_foreign_tf_graph(inputs):
            # A `tf.data` map on the JAX or PyTorch backend: see
            # `keras_denoise._tf_graph`.
            return self._call_in_tf_graph(inputs, *args, **kwargs)
        return super().__call__(inputs, *args, **kwargs)

    def _call_in_tf_graph(self, inputs, training=False):
        check_image_batch(inputs)
        if not training:
            return inputs
        dtype = keras.backend.standardize_dtype(self.compute_dtype)
        return run_in_tf_graph(self.corrupt, inputs, dtype=dtype)

    def call(self, inputs, training=False):
        check_image_batch(inputs)
        if not training:
            return inputs
        return self._corrupt_and_clip(inputs)

    def corrupt(self, images):
        """Corrupts `images` whatever the training mode.

        Args:
            images: float image or batch of images (rank 3 or 4), array or
                tensor.

        Returns:
            The corrupted images, clipped to `value_range`, in the layer's
            compute dtype.
        """
        check_image_batch(images, name="images")
        images = ops.convert_to_tensor(images, dtype=self.compute_dtype)
        return self._corrupt_and_clip(images)

    def corrupt_batch(self, images):
        """Corrupts a batch; the method subclasses implement.

        Args:
            images: a rank-4 float tensor in the layer's `data_format` and
                compute dtype.

        Returns:
            The corrupted batch, same shape, before the clip to
            `value_range` (which the base class applies).
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement `corrupt_batch(images)`."
        )

    def additive_noise(self, images, weight=None, draws=None):
        """Optional: the `delta` of a corruption `clip(images + delta)`.

        Implement it when the corrupted batch is exactly
        `clip(images + delta, value_range)` for a `delta` that does not
        depend on the clip; `corrupt_batch` is then usually
        `images + self.additive_noise(images)`. `RandomCorruption` sums
        the deltas of its corruptions of this form (same `value_range`
        and dtype) and clips once, instead of computing, clipping and
        selecting each corruption's output over the whole batch.

        Args:
            images: a rank-4 float tensor in the layer's `data_format` and
                compute dtype.
            weight: `None`, or a 0/1 tensor of shape `(batch, 1, 1, 1)`:
                `delta` must be 0 on the samples where it is 0 (multiply
                a per-sample factor by it, which costs nothing over the
                batch). Defaults to `None`.
            draws: `None`, or a dict that `RandomCorruption` shares among
                its corruptions for one batch: random tensors stored in it
                under a key naming their kind, shape and dtype may be
                reused by another corruption (each sample keeps one
                corruption's output, so sharing does not change any
                sample's distribution). It may be ignored. Defaults to
                `None`.

        Returns:
            `delta`, broadcastable to `images`, or `None` (the default)
            when the corruption is not of this form; then `None` must be
            returned before any random draw.
        """
        del images, weight, draws
        return None

    def _corrupt_and_clip(self, images):
        unbatched = len(images.shape) == 3
        if unbatched:
            images = ops.expand_dims(images, 0)
        outputs = clip_to_range(self.corrupt_batch(images), self.value_range)
        if unbatched:
            outputs = ops.squeeze(outputs, 0)
        return outputs

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, training=None):
        # Keras builds a functional model through this method, not `call`:
        # checking the symbolic input here makes a wrong rank or an integer
        # `keras.Input` fail when the model is built, not at `fit`.
        check_image_batch(inputs)
        return keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "data_format": self.data_format,
                "seed": self.seed,
            }
        )
        return config
