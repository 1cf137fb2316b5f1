"""Input checks shared by the image-quality metrics."""

import numbers

import keras
from keras import ops

from keras_denoise._validation import concrete_value


def validate_max_val(max_val):
    if (
        not isinstance(max_val, numbers.Real)
        or isinstance(max_val, bool)
        or not max_val > 0
        or max_val == float("inf")
    ):
        raise ValueError(
            "`max_val` must be a finite number > 0 (the dynamic range of "
            f"the images, e.g. 1.0 or 255.0). Received: max_val={max_val!r}"
        )
    return float(max_val)


def prepare_pair(y_true, y_pred):
    """Checks a pair of image batches; returns them as float32 tensors.

    Rank-3 inputs are one image and get a batch axis of size 1.
    """
    y_true = ops.convert_to_tensor(y_true)
    y_pred = ops.convert_to_tensor(y_pred)
    for name, tensor in (("y_true", y_true), ("y_pred", y_pred)):
        dtype = keras.backend.standardize_dtype(tensor.dtype)
        if "float" not in dtype:
            raise TypeError(
                f"`{name}` must be a floating-point image tensor (for "
                "example scaled to [0, 1] with `x / 255.0`). "
                f"Received: {name}.dtype={dtype}"
            )
        if len(tensor.shape) not in (3, 4):
            raise ValueError(
                f"`{name}` must be an image of rank 3 or a batch of rank 4. "
                f"Received: {name}.shape={tuple(tensor.shape)}"
            )
    true_shape, pred_shape = tuple(y_true.shape), tuple(y_pred.shape)
    if len(true_shape) != len(pred_shape) or any(
        a is not None and b is not None and a != b
        for a, b in zip(true_shape, pred_shape, strict=True)
    ):
        raise ValueError(
            "`y_true` and `y_pred` must have the same shape. "
            f"Received: y_true.shape={true_shape}, y_pred.shape={pred_shape}"
        )
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.cast(y_pred, "float32")
    single = len(true_shape) == 3
    if single:
        y_true = ops.expand_dims(y_true, 0)
        y_pred = ops.expand_dims(y_pred, 0)
    return y_true, y_pred, single


class ImageMean(keras.metrics.Metric):
    """Mean of a per-image score over all the images seen."""

    def __init__(self, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", dtype="float32", name="total"
        )
        self.count = self.add_variable(
            shape=(), initializer="zeros", dtype="float32", name="count"
        )

    def per_image(self, y_true, y_pred):
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = ops.reshape(self.per_image(y_true, y_pred), (-1,))
        if sample_weight is None:
            weights = ops.ones_like(values)
        else:
            weights = ops.cast(sample_weight, "float32")
            weights = ops.reshape(weights, (-1,))
            _check_weights(sample_weight, weights, values)
            weights = ops.broadcast_to(weights, ops.shape(values))
        self.total.assign_add(ops.sum(values * weights))
        self.count.assign_add(ops.sum(weights))

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)

    def result(self):
        # A mean over no weight is undefined: NaN, not a score of 0.
        return ops.cast(self.total / self.count, self.dtype)


def _check_weights(sample_weight, weights, values):
    """One weight per image (or one for all), none negative when known."""
    count, images = weights.shape[0], values.shape[0]
    if count is not None and images is not None and count not in (1, images):
        raise ValueError(
            "`sample_weight` must hold one weight per image (or a single "
            f"weight). Received: {count} weights for {images} images"
        )
    known = concrete_value(weights)
    if known is not None and (known < 0).any():
        raise ValueError(
            "`sample_weight` must be >= 0. "
            f"Received: sample_weight={_shown(sample_weight)}"
        )


def _shown(value):
    known = concrete_value(value)
    return value if known is None else known.tolist()
