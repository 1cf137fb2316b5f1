"""`corrupted_pairs`: (noisy, clean) batches made on the fly."""

import numpy as np

from keras_denoise._layers import is_layer
from keras_denoise._tf_graph import in_foreign_tf_graph
from keras_denoise._tf_graph import run_in_tf_graph
from keras_denoise._validation import check_int


def corrupted_pairs(
    images,
    corruption,
    batch_size=32,
    shuffle=True,
    seed=None,
    repeat=False,
    drop_remainder=False,
):
    """A `tf.data.Dataset` of `(corrupted, clean)` batches for `model.fit`.

    The clean images stay in memory once; each batch is corrupted when it
    is produced, in parallel (`num_parallel_calls=AUTOTUNE`), so every
    epoch sees fresh noise and nothing corrupted is ever stored. Because
    the calls run in parallel, a seeded corruption layer's draws reach the
    batches in the order the threads run: the clean batches are
    reproducible with `seed`, the noise on them is not bit-for-bit.

    Args:
        images: float array `(n, height, width, channels)` in the range the
            corruption expects (usually [0, 1]).
        corruption: a corruption layer of `keras_denoise.layers` (called
            with `training=True`), a `keras.Sequential` of them, or any
            callable mapping a float batch tensor to a batch tensor.
            Keras layers work on every backend: on JAX and PyTorch they
            run eagerly on each batch inside the pipeline (through
            `tf.py_function`).
        batch_size: number of images per batch. Defaults to `32`.
        shuffle: reshuffle the images every epoch. Defaults to `True`.
        seed: seed of the shuffle. Defaults to `None`.
        repeat: repeat forever (then pass `steps_per_epoch` to `fit`).
            Defaults to `False`.
        drop_remainder: drop the last incomplete batch. Defaults to
            `False`.

    Returns:
        A `tf.data.Dataset` yielding `(corrupted, clean)` float32 batches.

    Raises:
        TypeError: if `images` is not a float array (a `tf.data.Dataset`,
            say) or `corruption` is not callable.
        ValueError: if `images` is not rank 4 or `batch_size` < 1.

    Example:

    >>> import numpy as np
    >>> images = np.random.rand(8, 16, 16, 1).astype("float32")
    >>> noise = keras_denoise.layers.AdditiveGaussianNoise(0.1, seed=0)
    >>> ds = keras_denoise.datasets.corrupted_pairs(images, noise, 4)
    >>> noisy, clean = next(iter(ds))
    >>> tuple(noisy.shape)
    (4, 16, 16, 1)
    """
    if hasattr(images, "element_spec"):
        raise TypeError(
            "`images` must be an array of images held in memory, not a "
            "`tf.data.Dataset`. For a dataset, map the corruption over its "
            "batches: `dataset.batch(32).map(lambda x: (corruption(x, "
            "training=True), x))` (a keras_denoise corruption layer works "
            "there on every backend), or stream files with "
            "`keras_denoise.datasets.image_directory`. "
            f"Received: images={images!r}"
        )
    images = np.asarray(images)
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(
            "`images` must be floating-point (for example `x / 255.0`). "
            f"Received: images.dtype={images.dtype}"
        )
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            "`images` must be a non-empty batch of rank 4 "
            f"(n, height, width, channels). Received: shape={images.shape}"
        )
    if not callable(corruption):
        raise TypeError(
            "`corruption` must be a corruption layer or a callable. "
            f"Received: corruption={corruption!r}"
        )
    check_int("batch_size", batch_size)
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(images.astype("float32"))
    if shuffle:
        dataset = dataset.shuffle(
            len(images), seed=seed, reshuffle_each_iteration=True
        )
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    layer = is_layer(corruption)

    def corrupt(clean):
        if layer and in_foreign_tf_graph(clean):
            # JAX or PyTorch backend: a chain (`keras.Sequential`) cannot
            # take a TensorFlow tensor; run it eagerly on the batch.
            noisy = run_in_tf_graph(
                lambda x: corruption(x, training=True), clean
            )
        elif layer:
            noisy = corruption(clean, training=True)
        else:
            noisy = corruption(clean)
        return tf.cast(noisy, tf.float32), clean

    dataset = dataset.map(corrupt, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
