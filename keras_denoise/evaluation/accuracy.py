"""`accuracy_per_corruption`: how well a classifier reads corrupted images."""

import numpy as np

from keras_denoise._layers import apply_corruption
from keras_denoise._validation import check_int


def _label_output(model, outputs):
    """The class probabilities among a model's outputs (`"label"` for
    dual-output models)."""
    if isinstance(outputs, dict):
        return outputs["label"]
    if isinstance(outputs, (list, tuple)):
        names = list(getattr(model, "output_names", None) or [])
        return outputs[names.index("label")]
    return outputs


def accuracy_per_corruption(model, images, labels, corruptions, batch_size=32):
    """Fraction of images classified right, for each kind of corruption.

    Each corruption is applied batch by batch (with its own seed, so two
    calls with fresh corruptions of the same seeds see the same noisy
    images, as `evaluate_corruptions` does) and the model's most probable
    class is compared with `labels`. Dual-output models are read on their
    `"label"` output.

    Args:
        model: a Keras classifier (class probabilities or logits out), or
            a model with a `"label"` output.
        images: clean float images `(n, height, width, channels)`.
        labels: integer class labels `(n,)`.
        corruptions: dict from name to a corruption layer, a chain, a
            callable, or `None` (the clean images).
        batch_size: batch size of corruption and prediction. Defaults to
            `32`.

    Returns:
        A dict from corruption name to accuracy (a Python float in [0, 1]).

    Raises:
        TypeError: if `images` is not floating-point or a corruption is
            not callable.
        ValueError: if `images` is not rank 4, `labels` does not have one
            label per image, or `corruptions` is empty.

    Example:

    >>> import numpy as np
    >>> model = keras_denoise.models.cnn_classifier((8, 8, 1), 3)
    >>> accuracy = keras_denoise.evaluation.accuracy_per_corruption(
    ...     model, np.zeros((4, 8, 8, 1), "float32"), np.zeros(4, int),
    ...     {"clean": None},
    ... )
    >>> list(accuracy)
    ['clean']
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(
            "`images` must be floating-point. "
            f"Received: images.dtype={images.dtype}"
        )
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            "`images` must be a non-empty batch (n, height, width, "
            f"channels). Received: images.shape={images.shape}"
        )
    if labels.shape != (len(images),):
        raise ValueError(
            "`labels` must hold one label per image, shape "
            f"({len(images)},). Received: labels.shape={labels.shape}"
        )
    if not isinstance(corruptions, dict) or not corruptions:
        raise ValueError(
            "`corruptions` must be a non-empty dict from name to corruption. "
            f"Received: corruptions={corruptions!r}"
        )
    for name, corruption in corruptions.items():
        if corruption is not None and not callable(corruption):
            raise TypeError(
                f"Corruption {name!r} must be a layer, a callable or None. "
                f"Received: {corruption!r}"
            )
    batch_size = check_int("batch_size", batch_size)
    accuracy = {}
    for name, corruption in corruptions.items():
        correct = 0
        for start in range(0, len(images), batch_size):
            batch = images[start : start + batch_size]
            if corruption is not None:
                batch = apply_corruption(corruption, batch).astype("float32")
            probabilities = _label_output(
                model, model.predict(batch, verbose=0)
            )
            predicted = np.argmax(np.asarray(probabilities), axis=-1)
            correct += int(
                np.sum(predicted == labels[start : start + batch_size])
            )
        accuracy[name] = correct / len(images)
    return accuracy
