"""Helpers about Keras layers shared by the package: telling a layer from
a plain callable, walking nested layers and corrupting a batch eagerly.

Keras is imported on first use, so importing this module is free.
"""


def is_layer(value):
    """Whether `value` is a Keras layer (models included)."""
    import keras

    return isinstance(value, keras.layers.Layer)


def walk_layers(model):
    """Yields every layer of `model`, depth first, nested models' included.

    The model itself is not yielded; a nested model is yielded before its
    own layers.
    """
    for layer in getattr(model, "layers", None) or ():
        yield layer
        if isinstance(getattr(layer, "layers", None), list):
            yield from walk_layers(layer)


def call_corruption(corruption, images):
    """Applies `corruption` to a batch as at training time.

    A corruption layer's `corrupt(images)` method is used (it corrupts
    whatever the training flag); another Keras layer is called with
    `training=True`; anything else is called as a plain function.
    """
    if hasattr(corruption, "corrupt"):
        return corruption.corrupt(images)
    if is_layer(corruption):
        return corruption(images, training=True)
    return corruption(images)


def apply_corruption(corruption, images):
    """Corrupts a batch eagerly (see `call_corruption`); returns NumPy."""
    import keras
    import numpy as np

    result = call_corruption(corruption, images)
    return np.asarray(keras.ops.convert_to_numpy(result))
