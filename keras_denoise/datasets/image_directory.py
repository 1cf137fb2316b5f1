"""Streaming image folders with `tf.data`: single images and noisy/clean pairs.

Only file names are held in memory; pixels are decoded batch by batch in
parallel, so a folder of thousands of 576x720 photographs trains in a few
hundred megabytes.
"""

import numbers
import os

import numpy as np

from keras_denoise._validation import check_int
from keras_denoise.datasets.image_files import _listing
from keras_denoise.datasets.image_files import check_pairs
from keras_denoise.datasets.image_files import list_image_files
from keras_denoise.datasets.image_files import read_image_info


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


# Luminance weights of scikit-image's `rgb2gray` (ITU-R BT.709), as used
# for the bundled photographs.
_LUMA = (0.2125, 0.7154, 0.0721)


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
        luma = tf.constant(_LUMA, tf.float32)
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
            len(paths), seed=seed, reshuffle_each_iteration=True
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


def image_directory(
    directory,
    crop_size=None,
    batch_size=None,
    channels=None,
    shuffle=None,
    seed=None,
    repeat=False,
    crops_per_image=1,
    recursive=False,
    names=None,
    image_size=None,
    crop_to_aspect_ratio=False,
    validation_split=None,
    subset=None,
):
    """Streams the images of a folder with `tf.data`, never all in memory.

    PNG (8 or 16 bit), JPEG and BMP files, gray or color, of any size.
    Every file's header is read first (no pixels), so a non-image, a file
    smaller than the crop or mixed sizes fail here, before any training.
    For training give a `crop_size`: each image yields `crops_per_image`
    random crops, new ones every epoch. Without it the dataset yields full
    images for evaluation.

    Args:
        directory: folder of images.
        crop_size: side, or `(height, width)`, of random crops; `None` for
            full images. Defaults to `None`.
        batch_size: images per batch. Defaults to `32` with a `crop_size`
            and `1` without (full images of one size may be batched).
        channels: `1` (gray) or `3` (RGB); files are converted (colour
            to gray with the luminance weights 0.2125, 0.7154, 0.0721 of
            scikit-image's `rgb2gray`, gray repeated to RGB, alpha
            dropped). `None` takes the first file's kind. Defaults to
            `None`.
        shuffle: shuffle the file order every epoch. Defaults to `True`
            with a `crop_size`, `False` without.
        seed: seed of the shuffle and of the crop positions. Defaults to
            `None`.
        repeat: repeat forever. Defaults to `False`.
        crops_per_image: random crops taken from each decoded image (more
            crops per decode is faster for large photographs). Defaults to
            `1`.
        recursive: include sub-folders. Defaults to `False`.
        names: file names without extension to keep (for example the
            training part of a split), or `None` for all. Defaults to
            `None`.
        image_size: side, or `(height, width)`, every decoded image is
            resized to (bilinear) before any crop, as in
            `keras.utils.image_dataset_from_directory`; `None` keeps the
            files' sizes. Defaults to `None`.
        crop_to_aspect_ratio: with `image_size`, first take the largest
            centred crop of the target aspect ratio, so the resize does
            not distort. Defaults to `False`.
        validation_split: fraction of the files, in (0, 1), set aside for
            validation, or `None`. As in Keras, the sorted file list is
            shuffled with `seed` (required) and the last
            `int(validation_split * n)` files are the validation subset.
            Defaults to `None`.
        subset: with `validation_split`, `"training"`, `"validation"` or
            `"both"` (a `(training, validation)` pair of datasets).
            Defaults to `None`.

    Returns:
        A `tf.data.Dataset` of float32 batches `(batch, height, width,
        channels)` in [0, 1]; with `subset="both"`, a pair of them.

    Raises:
        FileNotFoundError: if the folder does not exist.
        ValueError: if it holds no image, a file is not a readable image or
            is smaller than `crop_size`, or an argument is invalid.

    Example:

    >>> import os, tempfile
    >>> import numpy as np
    >>> folder = tempfile.mkdtemp()
    >>> for i in range(3):
    ...     keras_denoise.datasets.write_image(
    ...         os.path.join(folder, f"{i}.png"), np.random.rand(20, 30, 3)
    ...     )
    >>> train = keras_denoise.datasets.image_directory(
    ...     folder, crop_size=16, batch_size=2, seed=0
    ... )
    >>> [tuple(batch.shape) for batch in train]
    [(2, 16, 16, 3), (1, 16, 16, 3)]
    >>> full = keras_denoise.datasets.image_directory(folder, channels=1)
    >>> tuple(next(iter(full)).shape)
    (1, 20, 30, 1)
    """
    crop_size = _check_crop_size(crop_size)
    image_size = _check_crop_size(image_size, name="image_size")
    if not isinstance(crop_to_aspect_ratio, bool):
        raise TypeError(
            "`crop_to_aspect_ratio` must be a boolean. "
            f"Received: crop_to_aspect_ratio={crop_to_aspect_ratio!r}"
        )
    _check_split_arguments(validation_split, subset, seed)
    if batch_size is None:
        batch_size = 32 if crop_size is not None else 1
    batch_size = check_int("batch_size", batch_size)
    crops_per_image = check_int("crops_per_image", crops_per_image)
    _validate_channels(channels)
    paths = list_image_files(directory, recursive=recursive)
    if names is not None:
        paths = _keep(paths, directory, names)
    if image_size is not None and crop_size is not None:
        if crop_size[0] > image_size[0] or crop_size[1] > image_size[1]:
            raise ValueError(
                "`crop_size` must fit in `image_size`. "
                f"Received: crop_size={crop_size}, image_size={image_size}"
            )
    if validation_split is not None:
        split = _split_paths(paths, validation_split, seed)
        if subset == "both":
            # Both subsets take the kind of the folder's first file.
            channels = _check_channels(
                channels, [read_image_info(sorted(paths)[0])]
            )
            common = dict(
                crop_size=crop_size,
                batch_size=batch_size,
                channels=channels,
                shuffle=shuffle,
                seed=seed,
                repeat=repeat,
                crops_per_image=crops_per_image,
                recursive=recursive,
                image_size=image_size,
                crop_to_aspect_ratio=crop_to_aspect_ratio,
            )
            return tuple(
                image_directory(
                    directory, names=_stems(part, directory), **common
                )
                for part in split
            )
        paths = split[0] if subset == "training" else split[1]
    infos = [read_image_info(p) for p in paths]
    channels = _check_channels(channels, infos)
    if image_size is None:
        _check_sizes(paths, infos, crop_size, batch_size)
    if shuffle is None:
        shuffle = crop_size is not None

    import tensorflow as tf

    def load(path, crop_seed):
        image = _decode(tf, path, channels)
        if image_size is not None:
            image = _resize(tf, image, image_size, crop_to_aspect_ratio)
        if crop_size is None:
            return image
        return _crops(tf, image, crop_size, crops_per_image, crop_seed)

    return _build(
        tf,
        paths,
        load,
        crop_size,
        batch_size,
        shuffle,
        seed,
        repeat,
        crops_per_image,
    )


def match_pairs(noisy_dir, clean_dir, recursive=False):
    """Pairs the files of two folders by name without extension.

    Args:
        noisy_dir: folder of corrupted images.
        clean_dir: folder of clean images.
        recursive: include sub-folders (names then include the relative
            folder). Defaults to `False`.

    Returns:
        `(noisy_paths, clean_paths)`, sorted by name.

    Raises:
        FileNotFoundError: if a folder does not exist.
        ValueError: listing the names found in only one folder.

    Example:

    >>> import os, tempfile
    >>> import numpy as np
    >>> root = tempfile.mkdtemp()
    >>> for folder, name in [("noisy", "a.jpg"), ("clean", "a.png")]:
    ...     keras_denoise.datasets.write_image(
    ...         os.path.join(root, folder, name), np.random.rand(8, 8)
    ...     )
    >>> noisy, clean = keras_denoise.datasets.match_pairs(
    ...     os.path.join(root, "noisy"), os.path.join(root, "clean")
    ... )
    >>> [os.path.basename(p) for p in noisy + clean]
    ['a.jpg', 'a.png']
    """
    noisy = list_image_files(noisy_dir, recursive=recursive)
    clean = list_image_files(clean_dir, recursive=recursive)

    def by_stem(paths, root):
        table = {}
        for path in paths:
            stem = _stem(path, root)
            if stem in table:
                raise ValueError(
                    f"Two files share the name {stem!r} in {root!r}: "
                    f"{os.path.basename(table[stem])}, "
                    f"{os.path.basename(path)}"
                )
            table[stem] = path
        return table

    noisy_by_stem = by_stem(noisy, noisy_dir)
    clean_by_stem = by_stem(clean, clean_dir)
    only_noisy = sorted(set(noisy_by_stem) - set(clean_by_stem))
    only_clean = sorted(set(clean_by_stem) - set(noisy_by_stem))
    if only_noisy or only_clean:
        parts = []
        if only_noisy:
            parts.append(
                f"{len(only_noisy)} in {noisy_dir!s} only: "
                f"{_listing(only_noisy)}"
            )
        if only_clean:
            parts.append(
                f"{len(only_clean)} in {clean_dir!s} only: "
                f"{_listing(only_clean)}"
            )
        raise ValueError("Unmatched image names: " + "; ".join(parts))
    stems = sorted(noisy_by_stem)
    return (
        [noisy_by_stem[s] for s in stems],
        [clean_by_stem[s] for s in stems],
    )


def paired_image_directory(
    noisy_dir,
    clean_dir,
    crop_size=None,
    batch_size=None,
    channels=None,
    shuffle=None,
    seed=None,
    repeat=False,
    crops_per_image=1,
    recursive=False,
    names=None,
):
    """Streams `(noisy, clean)` pairs from two folders matched by file name.

    Files pair by name without extension (`0001.jpg` with `0001.png`), so
    degraded/clean datasets of restoration projects load as they are. The
    headers of all files are checked first: names found in one folder only,
    and pairs whose two images differ in size, raise a `ValueError` that
    lists them. Both images of a pair get the same random crop.

    Args:
        noisy_dir: folder of corrupted images (the model's input).
        clean_dir: folder of clean images (the target).
        crop_size: side, or `(height, width)`, of random crops; `None` for
            full images. Defaults to `None`.
        batch_size: pairs per batch. Defaults to `32` with a `crop_size`,
            `1` without.
        channels: `1` or `3`, converted as in `image_directory`; `None`
            takes the first clean file's kind. Defaults to `None`.
        shuffle: shuffle the pairs every epoch. Defaults to `True` with a
            `crop_size`, `False` without.
        seed: seed of the shuffle and of the crop positions. Defaults to
            `None`.
        repeat: repeat forever. Defaults to `False`.
        crops_per_image: random crops per decoded pair. Defaults to `1`.
        recursive: include sub-folders (names then include the relative
            folder). Defaults to `False`.
        names: names without extension of the pairs to keep, or `None` for
            all. Defaults to `None`.

    Returns:
        A `tf.data.Dataset` of `(noisy, clean)` float32 batches in [0, 1].

    Raises:
        FileNotFoundError: if a folder does not exist.
        ValueError: for unmatched names, pairs of different sizes, files
            that are not images or are smaller than `crop_size`, or an
            invalid argument.

    Example:

    ```python
    train = keras_denoise.datasets.paired_image_directory(
        "data/degraded", "data/clean", crop_size=128, batch_size=16
    )
    model.fit(train, epochs=10)
    ```
    """
    crop_size = _check_crop_size(crop_size)
    if batch_size is None:
        batch_size = 32 if crop_size is not None else 1
    batch_size = check_int("batch_size", batch_size)
    crops_per_image = check_int("crops_per_image", crops_per_image)
    _validate_channels(channels)
    noisy_paths, clean_paths = match_pairs(noisy_dir, clean_dir, recursive)
    if names is not None:
        keep = set(_keep(clean_paths, clean_dir, names))
        pairs = [
            (n, c)
            for n, c in zip(noisy_paths, clean_paths, strict=True)
            if c in keep
        ]
        noisy_paths = [n for n, _ in pairs]
        clean_paths = [c for _, c in pairs]
    clean_infos = check_pairs(noisy_paths, clean_paths)
    channels = _check_channels(channels, clean_infos)
    _check_sizes(clean_paths, clean_infos, crop_size, batch_size)
    if shuffle is None:
        shuffle = crop_size is not None

    import tensorflow as tf

    def load(pair, crop_seed):
        noisy = _decode(tf, pair[0], channels)
        clean = _decode(tf, pair[1], channels)
        if crop_size is None:
            return noisy, clean
        # One crop window for both images: crop them stacked on channels.
        stacked = tf.concat([noisy, clean], axis=-1)
        crops = _crops(tf, stacked, crop_size, crops_per_image, crop_seed)
        return crops[..., :channels], crops[..., channels:]

    pairs = [list(p) for p in zip(noisy_paths, clean_paths, strict=True)]
    return _build(
        tf,
        pairs,
        load,
        crop_size,
        batch_size,
        shuffle,
        seed,
        repeat,
        crops_per_image,
    )
