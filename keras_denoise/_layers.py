"""Helpers about Keras layers shared by the package: telling a layer from
a plain callable, walking nested layers and corrupting a batch eagerly.

Keras is imported on first use, so importing this module is free.
"""


def is_layer(value):
    """Whether `value` is a Keras layer (models included)."""
    import keras

    return isinstance(value, keras.layers.Layer)


def walk_layers(model):
    """Every layer inside `model`, nested models included, with its path.

    Yields `(path, layer)` pairs breadth first, so shallower layers come
    before deeper ones; `path` joins the names from `model` down, e.g.
    `"autoencoder/encoder"`. The model itself is not yielded; a layer shared
    by several models is yielded once, at its shallowest place.
    """
    seen = {id(model)}
    queue = [("", model)]
    while queue:
        prefix, parent = queue.pop(0)
        for layer in getattr(parent, "layers", None) or ():
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            path = f"{prefix}{layer.name}"
            yield path, layer
            queue.append((f"{path}/", layer))


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
