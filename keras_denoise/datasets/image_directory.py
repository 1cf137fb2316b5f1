"""Streaming image folders with `tf.data`: single images and noisy/clean pairs.

Only file names are held in memory; pixels are decoded batch by batch in
parallel, so a folder of thousands of 576x720 photographs trains in a few
hundred megabytes.
"""

import os

from keras_denoise._validation import check_int
from keras_denoise.datasets import _labels
from keras_denoise.datasets._folder_pipeline import _build
from keras_denoise.datasets._folder_pipeline import _check_channels
from keras_denoise.datasets._folder_pipeline import _check_crop_size
from keras_denoise.datasets._folder_pipeline import _check_sizes
from keras_denoise.datasets._folder_pipeline import _check_split_arguments
from keras_denoise.datasets._folder_pipeline import _crops
from keras_denoise.datasets._folder_pipeline import _decode
from keras_denoise.datasets._folder_pipeline import _keep
from keras_denoise.datasets._folder_pipeline import _resize
from keras_denoise.datasets._folder_pipeline import _split_paths
from keras_denoise.datasets._folder_pipeline import _stem
from keras_denoise.datasets._folder_pipeline import _stems
from keras_denoise.datasets._folder_pipeline import _validate_channels
from keras_denoise.datasets.image_files import _listing
from keras_denoise.datasets.image_files import check_pairs
from keras_denoise.datasets.image_files import list_image_files
from keras_denoise.datasets.image_files import read_image_info


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
    labels=None,
    label_mode="int",
    class_names=None,
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
        labels: `None` for images alone; `"inferred"` to label each
            image by its sub-folder of `directory` (one sub-folder per
            class, searched recursively; images at the top level are left
            out); or a list of integer labels, one per file in sorted
            path order. As in `keras.utils.image_dataset_from_directory`.
            Defaults to `None`.
        label_mode: with `labels`, `"int"` (int32 class indices),
            `"categorical"` (float32 one-hot vectors), `"binary"` (float32
            `(1,)` values, two classes only), or `None` for no labels.
            Defaults to `"int"`.
        class_names: with `labels="inferred"`, the sub-folders to use, in
            the order of their class indices; `None` takes all of them in
            sorted order. Defaults to `None`.

    Returns:
        A `tf.data.Dataset` of float32 batches `(batch, height, width,
        channels)` in [0, 1], or of `(images, labels)` batches with
        `labels` (every crop of an image carries its label); with
        `labels="inferred"` its `class_names` attribute lists the classes.
        With `subset="both"`, a pair of them.

    Raises:
        FileNotFoundError: if the folder does not exist.
        ValueError: if it holds no image, a file is not a readable image or
            is smaller than `crop_size`, or an argument is invalid.

    Example:

    >>> import os, tempfile
    >>> import numpy as np
    >>> root = tempfile.mkdtemp()
    >>> for name in ("cat/1.png", "cat/2.png", "dog/1.png"):
    ...     keras_denoise.datasets.write_image(
    ...         os.path.join(root, name), np.random.rand(20, 30)
    ...     )
    >>> labelled = keras_denoise.datasets.image_directory(
    ...     root, labels="inferred", image_size=16, batch_size=3
    ... )
    >>> labelled.class_names
    ['cat', 'dog']
    >>> images, labels = next(iter(labelled))
    >>> tuple(images.shape), labels.numpy().tolist()
    ((3, 16, 16, 1), [0, 0, 1])
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
    _labels.check_label_arguments(labels, label_mode, class_names)
    if labels is None:
        paths = list_image_files(directory, recursive=recursive)
        label_of = None
    else:
        paths, table, class_names = _labels.labelled_files(
            directory, labels, class_names, recursive
        )
        num_classes = (
            len(class_names) if class_names is not None else max(labels) + 1
        )
        _labels.check_label_mode(label_mode, labels, num_classes)
        label_of = table if label_mode is not None else None
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
                labels=labels,
                label_mode=label_mode,
                class_names=class_names,
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

    def load(element, crop_seed):
        path = element if label_of is None else element[0]
        image = _decode(tf, path, channels)
        if image_size is not None:
            image = _resize(tf, image, image_size, crop_to_aspect_ratio)
        if crop_size is not None:
            image = _crops(tf, image, crop_size, crops_per_image, crop_seed)
        if label_of is None:
            return image
        label = _labels.encode(tf, element[1], label_mode, num_classes)
        if crop_size is not None:
            label = tf.repeat(label[None], crops_per_image, axis=0)
        return image, label

    elements = paths
    if label_of is not None:
        elements = (paths, [label_of[p] for p in paths])
    dataset = _build(
        tf,
        elements,
        load,
        crop_size,
        batch_size,
        shuffle,
        seed,
        repeat,
        crops_per_image,
    )
    if labels == "inferred":
        dataset.class_names = class_names
    return dataset


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
