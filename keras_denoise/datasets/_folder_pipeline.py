"""The private stages of the image-folder pipelines: argument checks,
the training/validation split, decoding, resizing, crops and batching.

`image_directory.py` assembles these into its public functions.
"""

import numbers
import os

import numpy as np

from keras_denoise._images import LUMA
from keras_denoise.datasets.image_files import _listing


def _check_crop_size(crop_size, name="crop_size"):
    if crop_size is None:
        return None
    received = crop_size
    if isinstance(crop_size, numbers.Integral) and not isinstance(
        crop_size, bool
    ):
        crop_size = (crop_size, crop_size)
    if (
        not isinstance(crop_size, (list, tuple))
        or len(crop_size) != 2
        or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool)
            for v in crop_size
        )
        or min(crop_size) < 1
    ):
        raise ValueError(
            f"`{name}` must be None, a positive integer or a pair "
            f"(height, width). Received: {name}={received!r}"
        )
    return (int(crop_size[0]), int(crop_size[1]))


_SUBSETS = ("training", "validation", "both")


def _check_split_arguments(validation_split, subset, seed):
    if validation_split is None:
        if subset is not None:
            raise ValueError(
                "`subset` needs a `validation_split`. "
                f"Received: subset={subset!r}, validation_split=None"
            )
        return
    if (
        not isinstance(validation_split, numbers.Real)
        or isinstance(validation_split, bool)
        or not 0.0 < validation_split < 1.0
    ):
        raise ValueError(
            "`validation_split` must be None or a number in (0, 1). "
            f"Received: validation_split={validation_split!r}"
        )
    if subset not in _SUBSETS:
        raise ValueError(
            f"With a `validation_split`, `subset` must be one of {_SUBSETS}. "
            f"Received: subset={subset!r}"
        )
    if seed is None:
        raise ValueError(
            "A `validation_split` needs a `seed`, so that the training and "
            "validation subsets do not overlap. Received: seed=None"
        )


def _split_paths(paths, validation_split, seed):
    """`(training, validation)` paths, split as Keras splits its files."""
    paths = sorted(paths)
    np.random.RandomState(seed).shuffle(paths)
    count = int(validation_split * len(paths))
    if count == 0 or count == len(paths):
        raise ValueError(
            f"`validation_split={validation_split}` of {len(paths)} files "
            "leaves one subset empty."
        )
    return paths[:-count], paths[-count:]


def _stems(paths, root):
    return [_stem(p, root) for p in paths]


def _resize(tf, image, image_size, crop_to_aspect_ratio):
    if crop_to_aspect_ratio:
        height = tf.cast(tf.shape(image)[0], tf.float32)
        width = tf.cast(tf.shape(image)[1], tf.float32)
        target = image_size[1] / image_size[0]
        crop_height = tf.minimum(height, width / target)
        crop_width = tf.minimum(width, height * target)
        crop_height = tf.cast(tf.round(crop_height), tf.int32)
        crop_width = tf.cast(tf.round(crop_width), tf.int32)
        top = (tf.shape(image)[0] - crop_height) // 2
        left = (tf.shape(image)[1] - crop_width) // 2
        image = image[top : top + crop_height, left : left + crop_width]
    image = tf.image.resize(image, image_size, method="bilinear")
    image.set_shape([image_size[0], image_size[1], image.shape[-1]])
    return image


def _validate_channels(channels):
    if channels is not None and (
        isinstance(channels, bool) or channels not in (1, 3)
    ):
        raise ValueError(
            f"`channels` must be None, 1 or 3. Received: channels={channels!r}"
        )


def _check_channels(channels, infos):
    if channels is None:
        first = infos[0].channels
        return 1 if first in (1, 2) else 3
    return channels


def _check_sizes(paths, infos, crop_size, batch_size):
    if crop_size is not None:
        small = [
            os.path.basename(p)
            for p, info in zip(paths, infos, strict=True)
            if info.height < crop_size[0] or info.width < crop_size[1]
        ]
        if small:
            raise ValueError(
                f"{len(small)} image(s) are smaller than "
                f"crop_size={crop_size}: {_listing(small)}"
            )
    elif batch_size > 1 and len({info[:2] for info in infos}) > 1:
        raise ValueError(
            "Full images of different sizes cannot be batched: use "
            "`batch_size=1` or a `crop_size`. "
            f"Received: batch_size={batch_size}"
        )


def _stem(path, root):
    return os.path.splitext(os.path.relpath(path, root))[0]


def _keep(paths, root, names):
    """The paths whose name without extension is in `names`."""
    if isinstance(names, str):
        raise TypeError(
            f"`names` must be a list of names. Received: names={names!r}"
        )
    wanted = set(names)
    kept = [p for p in paths if _stem(p, root) in wanted]
    missing = wanted - {_stem(p, root) for p in kept}
    if missing:
        raise ValueError(
            f"`names` lists {len(missing)} image(s) not found in {root}: "
            f"{_listing(sorted(missing))}"
        )
    if not kept:
        raise ValueError("`names` is empty: no image to stream.")
    return kept


def _decode(tf, path, channels):
    """Decodes a file to float32 `(h, w, channels)`, dropping alpha.

    The file is decoded with its own channels (`channels=0`: TensorFlow's
    BMP decoder cannot convert to gray) and converted here, so every format
    converts the same way.
    """
    contents = tf.io.read_file(path)
    image = tf.io.decode_image(
        contents, channels=0, dtype=tf.float32, expand_animations=False
    )
    count = tf.shape(image)[-1]
    if channels == 1:
        luma = tf.constant(LUMA, tf.float32)
        image = tf.cond(
            count >= 3,
            lambda: tf.reduce_sum(image[..., :3] * luma, -1, keepdims=True),
            lambda: image[..., :1],
        )
    else:
        image = tf.cond(
            count >= 3,
            lambda: image[..., :3],
            lambda: tf.repeat(image[..., :1], 3, axis=-1),
        )
    image.set_shape([None, None, channels])
    return image


def _build(
    tf,
    paths,
    load,
    crop_size,
    batch_size,
    shuffle,
    seed,
    repeat,
    crops_per_image,
):
    """Shared pipeline: names -> shuffle -> (repeat) -> decode/crop -> batch.

    `load(path_or_pair, crop_seed)` returns one element (a tensor or a
    pair) with a leading axis of `crops_per_image` crops.
    """
    dataset = tf.data.Dataset.from_tensor_slices(paths)
    if shuffle:
        dataset = dataset.shuffle(
            int(dataset.cardinality()),
            seed=seed,
            reshuffle_each_iteration=True,
        )
    if repeat:
        dataset = dataset.repeat()
    crop_seeds = tf.data.Dataset.random(
        seed=seed, rerandomize_each_iteration=True
    ).batch(2)
    dataset = tf.data.Dataset.zip((dataset, crop_seeds))
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if crop_size is not None:
        dataset = dataset.unbatch()
        if shuffle and crops_per_image > 1:
            # Mix the crops of neighbouring images; the buffer holds only a
            # few batches of crops, never the whole set.
            dataset = dataset.shuffle(batch_size * crops_per_image, seed=seed)
    dataset = dataset.batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _crops(tf, image, crop_size, crops_per_image, crop_seed):
    height, width = crop_size
    crops = []
    for i in range(crops_per_image):
        crops.append(
            tf.image.stateless_random_crop(
                image,
                [height, width, tf.shape(image)[-1]],
                seed=tf.stack([crop_seed[0], crop_seed[1] + i]),
            )
        )
    return tf.stack(crops)
