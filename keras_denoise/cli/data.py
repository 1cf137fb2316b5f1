"""The data a `--data` specification names: training arrays or streams,
and the held-out images evaluated after training (or by `evaluate`)."""

import dataclasses
import math
import os

from keras_denoise.cli._runtime import CLIError

# Side of the held-out patches of the bundled photographs for models that
# take any size.
DEFAULT_EVAL_PATCH = 96
LABELLED_DATA = ("digits", "faces", "mnist", "fashion")
# Patches per bundled photograph when --patches-per-image is not given.
DEFAULT_NATURAL_PATCHES = 192
# Directories and pairs: without --patches-per-image, enough random crops
# per file for an epoch of at least this many patches, about as many as
# an epoch of the default natural data, so a small folder still makes an
# epoch of dozens of steps; large folders take one crop per file.
MIN_EPOCH_PATCHES = 2048
MAX_AUTO_CROPS = 64


@dataclasses.dataclass(frozen=True)
class DataOptions:
    """How to read a data spec: the command-line options that shape it.

    `patch_size`, `patches_per_image` and `batch_size` matter for training
    only (`evaluate` leaves them `None`).
    """

    seed: int = 0
    eval_images: int = 8
    image_size: int | None = None
    max_train_images: int | None = None
    max_eval_images: int | None = None
    patch_size: int | None = None
    patches_per_image: int | None = None
    batch_size: int | None = None


class Data:
    """Training arrays or streams and held-out clean images for one spec.

    The held-out images are made by `held_out(size)` once the model is
    known: bundled data as arrays, directories and pairs as generators that
    read one file at a time.
    """

    def __init__(self):
        self.train = None  # array of clean images, or None when streamed
        self.train_labels = None
        self.stream = None  # tf.data dataset of (noisy, clean) or clean
        self.stream_kind = None  # "clean" (corrupt on the fly) or "pairs"
        self.test = None  # held-out clean images (array), bundled data
        self.test_labels = None
        self.test_files = None  # held-out clean files, directories/pairs
        self.test_noisy_files = None  # their real noisy versions (pairs)
        self.num_classes = None
        self.channels = None
        self.image_size = None  # fixed training size, None = any
        self.natural = None  # (grayscale, patches per photo, seed)
        self.passes = 1  # passes over in-memory images per epoch
        self.train_count = None  # training images (or pairs)
        self.crops_per_image = None  # random crops per file per epoch
        self.steps = None  # steps per epoch of a repeated stream

    def held_out(self, size=None):
        """`(clean, noisy)` held-out images for a model of input `size`
        `(height, width)`, or any size for `None`.

        Bundled photographs give patches (96 pixels, or the model's size);
        labelled sets their test images (fitted to the model's size);
        directories and pairs generators of the full images (centre crops
        of the model's size for fixed-size models). `noisy` is `None`
        unless the data are real pairs.
        """
        if self.natural is not None:
            from keras_denoise import datasets

            grayscale, count, seed = self.natural
            side = DEFAULT_EVAL_PATCH if size is None else max(size)
            _, test = datasets.natural_patches(
                side, patches_per_image=count, grayscale=grayscale, seed=seed
            )
            return fit_size(test, size), None
        if self.test is not None:
            return fit_size(self.test, size), None
        clean = read_images(self.test_files, self.channels, size)
        if self.test_noisy_files is None:
            return clean, None
        noisy = read_images(self.test_noisy_files, self.channels, size)
        return clean, noisy


def fit_size(images, size):
    """Fits a batch of images to `size` `(height, width)`: a centre crop,
    after an enlargement (keeping the aspect) when an image is smaller.
    `None` keeps them as they are."""
    if size is None or tuple(images.shape[1:3]) == tuple(size):
        return images
    import numpy as np

    height, width = size
    scale = max(height / images.shape[1], width / images.shape[2])
    if scale > 1:
        import keras

        new = (
            max(height, math.ceil(images.shape[1] * scale)),
            max(width, math.ceil(images.shape[2] * scale)),
        )
        images = np.clip(
            keras.ops.convert_to_numpy(
                keras.ops.image.resize(images, new, interpolation="bicubic")
            ),
            0.0,
            1.0,
        ).astype("float32")
    top = (images.shape[1] - height) // 2
    left = (images.shape[2] - width) // 2
    return images[:, top : top + height, left : left + width]


def read_images(paths, channels, size):
    """Yields the files one at a time as float32 `(h, w, channels)` images
    (alpha dropped, colour to gray with scikit-image's weights, gray to
    RGB), fitted to `size` when it is given."""
    import numpy as np

    from keras_denoise._images import LUMA
    from keras_denoise.datasets import read_image

    for path in paths:
        image, _ = read_image(path)
        if image.shape[-1] in (2, 4):
            image = image[..., :-1]
        if channels == 1 and image.shape[-1] == 3:
            image = (image @ np.array(LUMA, "float32"))[..., None]
        elif channels == 3 and image.shape[-1] == 1:
            image = np.repeat(image, 3, axis=-1)
        yield fit_size(image[None], size)[0]


def _held_out_names(stems, fraction, seed):
    import numpy as np

    count = max(1, int(round(len(stems) * fraction)))
    if count >= len(stems):
        raise CLIError(
            f"need at least 2 images to hold some out; found {len(stems)}"
        )
    order = np.random.default_rng(seed).permutation(len(stems))
    return sorted(stems[i] for i in order[:count])


def _stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def _kind_channels(info):
    return 1 if info.channels in (1, 2) else 3


def _bundled(name, options, for_training):
    from keras_denoise import datasets

    data = Data()
    seed = options.seed
    if name in ("natural", "natural-rgb"):
        gray = name == "natural"
        if for_training:
            data.train, _ = datasets.natural_patches(
                options.patch_size,
                patches_per_image=options.patches_per_image
                or DEFAULT_NATURAL_PATCHES,
                grayscale=gray,
                seed=seed,
            )
        data.natural = (gray, options.eval_images, seed + 1)
        data.channels = 1 if gray else 3
        return data
    image_size = options.image_size
    loader = {
        "digits": lambda: datasets.load_digits(image_size or 16, seed=seed),
        "faces": lambda: datasets.load_faces(image_size or 24, seed=seed),
        "mnist": datasets.load_mnist,
        "fashion": datasets.load_fashion_mnist,
    }[name]
    (x, y), (x_test, y_test) = loader()
    limit = options.max_train_images
    data.train, data.train_labels = x[:limit], y[:limit]
    data.passes = options.patches_per_image or 1
    data.test = x_test[: max(options.eval_images * 8, 32)]
    data.test_labels = y_test[: len(data.test)]
    data.num_classes = int(max(y.max(), y_test.max())) + 1
    data.image_size = x.shape[1]
    data.channels = data.test.shape[-1]
    return data


def _directory(path, options, for_training):
    from keras_denoise import datasets

    data = Data()
    limit = options.max_eval_images
    files = datasets.list_image_files(path)
    # Every header is read: a file that is no image fails before any work.
    infos = [datasets.read_image_info(p) for p in files]
    check_sizes(files, infos)
    if for_training:
        check_decodable(files)
    data.channels = _kind_channels(infos[0])
    stems = [_stem(p) for p in files]
    if not for_training:
        data.test_files = files[:limit]
        return data
    held = set(_held_out_names(stems, 0.1, options.seed))
    data.test_files = [p for p in files if _stem(p) in held][:limit]
    names = [s for s in stems if s not in held]
    _epoch(data, len(names), options)
    data.stream = datasets.image_directory(
        path,
        crop_size=options.patch_size,
        batch_size=options.batch_size,
        channels=data.channels,
        seed=options.seed,
        names=names,
        repeat=True,
        crops_per_image=data.crops_per_image,
    )
    data.stream_kind = "clean"
    return data


def _pairs(noisy_dir, clean_dir, options, for_training):
    from keras_denoise import datasets

    data = Data()
    limit = options.max_eval_images
    noisy_files, clean_files = datasets.match_pairs(noisy_dir, clean_dir)
    clean_infos = datasets.check_pairs(noisy_files, clean_files)
    check_sizes(clean_files, clean_infos)
    if for_training:
        check_decodable([*noisy_files, *clean_files])
    data.channels = _kind_channels(clean_infos[0])
    stems = [_stem(p) for p in clean_files]
    if for_training:
        held = set(_held_out_names(stems, 0.1, options.seed))
        index = [i for i, s in enumerate(stems) if s in held][:limit]
    else:
        index = list(range(len(stems)))[:limit]
    data.test_files = [clean_files[i] for i in index]
    data.test_noisy_files = [noisy_files[i] for i in index]
    if for_training:
        names = [s for s in stems if s not in held]
        _epoch(data, len(names), options)
        data.stream = datasets.paired_image_directory(
            noisy_dir,
            clean_dir,
            crop_size=options.patch_size,
            batch_size=options.batch_size,
            channels=data.channels,
            seed=options.seed,
            names=names,
            repeat=True,
            crops_per_image=data.crops_per_image,
        )
        data.stream_kind = "pairs"
    return data


def _epoch(data, count, options):
    """Crops per file and steps per epoch of a streamed folder: every
    file gives `crops_per_image` crops an epoch."""
    crops = options.patches_per_image or max(
        1, min(MAX_AUTO_CROPS, math.ceil(MIN_EPOCH_PATCHES / count))
    )
    data.train_count = count
    data.crops_per_image = crops
    data.steps = math.ceil(count * crops / options.batch_size)


def load_data(spec, options, for_training=True):
    """Resolves a parsed data spec into a `Data`.

    For training, directories and pairs keep a seeded tenth of the files
    (at least one) out of training; at most `options.max_eval_images` of
    them are evaluated. Otherwise (`evaluate`) every file is evaluated, or
    the first `options.max_eval_images`.

    Args:
        spec: a spec parsed by `specs.parse_data`.
        options: a `DataOptions`.
        for_training: whether a training set is made too. Defaults to
            `True`.
    """
    if spec[0] == "bundled":
        return _bundled(spec[1], options, for_training)
    if spec[0] == "directory":
        return _directory(spec[1], options, for_training)
    return _pairs(spec[1], spec[2], options, for_training)


# The smallest side the figures are defined for: SSIM's window, and
# PSNR's MSE of a single pixel is 0 for most models.
MIN_EVAL_SIDE = 7


def check_sizes(files, infos):
    """Refuses images too small for the figures, before any work."""
    for path, info in zip(files, infos, strict=True):
        if min(info.height, info.width) < MIN_EVAL_SIDE:
            raise CLIError(
                f"image {path} is {info.height}x{info.width}: images need "
                f"at least {MIN_EVAL_SIDE}x{MIN_EVAL_SIDE} pixels for "
                "PSNR/SSIM"
            )


def check_decodable(files):
    """Decodes every training file once: the training stream (TensorFlow)
    fails on a corrupt file mid-training without naming it."""
    from keras_denoise.datasets import read_image

    for path in files:
        read_image(path)  # raises ValueError naming the file


def data_inputs(spec):
    """`(label, folder)` pairs of the input folders a data spec reads."""
    if spec[0] == "directory":
        return [("--data", spec[1])]
    if spec[0] == "pairs":
        return [("--data noisy", spec[1]), ("--data clean", spec[2])]
    return []


def check_data_options(data_spec, data_text, image_size, max_train_images):
    """`--image-size` resizes digits and faces only; `--max-train-images`
    applies to the labelled sets."""
    labelled = data_spec[0] == "bundled" and data_spec[1] in LABELLED_DATA
    if max_train_images is not None and not labelled:
        raise CLIError(
            "--max-train-images applies to --data "
            f"{', '.join(LABELLED_DATA)} only; got --data {data_text}"
        )
    if image_size is None:
        return
    if data_spec[0] != "bundled" or data_spec[1] not in ("digits", "faces"):
        raise CLIError(
            "--image-size applies to --data digits and faces only; "
            f"got --data {data_text}"
        )
    if image_size < 8:
        raise CLIError(f"--image-size must be at least 8, got {image_size}")
