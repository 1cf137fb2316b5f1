"""Offline datasets that ship inside scikit-learn and scikit-image.

Nothing here touches the network: the digits come with scikit-learn, the
photographs and the face subset with scikit-image (the files that are part
of its wheel, not the ones it fetches on demand). Install them with
`pip install "keras-denoise[data]"`.
"""

import numbers

import numpy as np

from keras_denoise._images import to_grayscale
from keras_denoise._validation import check_int
from keras_denoise._validation import validate_rate
from keras_denoise._validation import validate_seed

# Photographs and micrographs stored inside the scikit-image wheel (no
# `pooch` download needed). Synthetic or binary pictures (checkerboard,
# logo, horse, colorwheel) are left out: they teach a denoiser little.
NATURAL_IMAGE_NAMES = (
    "astronaut",
    "brick",
    "camera",
    "cell",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "immunohistochemistry",
    "moon",
    "page",
    "rocket",
    "text",
)
"""Names of the photographs `load_natural_images()` loads by default."""

# Also local, but mostly black background: available on request only.
_EXTRA_NATURAL_IMAGE_NAMES = (
    "hubble_deep_field",
    "microaneurysms",
    "retina",
)
DEFAULT_HELD_OUT = ("astronaut", "camera", "coins")
"""Photographs held out by `natural_patches` unless told otherwise."""


def _require(module):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as error:
        raise ImportError(
            f"This dataset needs `{module.split('.')[0]}`, which is not "
            'installed. Install it with `pip install "keras-denoise[data]"`.'
        ) from error


def _check_split(test_split):
    return validate_rate("test_split", test_split)


def _to_float(image):
    """uint8/bool/float image -> float32 in [0, 1], rank 3."""
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype("float32")
    elif np.issubdtype(image.dtype, np.integer):
        image = image.astype("float32") / float(np.iinfo(image.dtype).max)
    else:
        image = image.astype("float32")
    if image.ndim == 2:
        image = image[..., None]
    return image


def _resize(images, size):
    """Resizes `(n, h, w)` float images to `(n, size, size)` with Pillow."""
    from PIL import Image

    if images.shape[1] == size and images.shape[2] == size:
        return images
    out = np.empty((len(images), size, size), dtype="float32")
    for i, image in enumerate(images):
        resized = Image.fromarray(image.astype("float32"), mode="F").resize(
            (size, size), Image.Resampling.BICUBIC
        )
        out[i] = np.asarray(resized)
    return np.clip(out, 0.0, 1.0)


def _split(images, labels, test_split, seed):
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = int(round(len(images) * test_split))
    test, train = order[:n_test], order[n_test:]
    return (images[train], labels[train]), (images[test], labels[test])


def load_digits(size=8, test_split=0.2, seed=0):
    """Loads scikit-learn's 8x8 handwritten digits (1797 images), offline.

    Args:
        size: side of the returned square images; the 8x8 originals are
            resized with bicubic interpolation (for example `28` to match
            MNIST-shaped models). Defaults to `8`.
        test_split: fraction of the images held out as the test set.
            Defaults to `0.2`.
        seed: seed of the shuffle that splits train and test. Defaults to
            `0`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 images of shape
        `(n, size, size, 1)` in [0, 1] and int32 labels 0-9.

    Raises:
        ValueError: if `size`, `test_split` or `seed` is invalid.
        ImportError: if scikit-learn is not installed.

    Example:

    >>> (x, y), (x_test, y_test) = keras_denoise.datasets.load_digits(16)
    >>> x.shape[1:]
    (16, 16, 1)
    """
    size = check_int("size", size, minimum=2)
    test_split = _check_split(test_split)
    validate_seed(seed)
    sklearn_datasets = _require("sklearn.datasets")
    digits = sklearn_datasets.load_digits()
    images = digits.images.astype("float32") / 16.0
    images = _resize(images, size)[..., None]
    labels = digits.target.astype("int32")
    return _split(images, labels, test_split, seed)


def load_faces(size=25, test_split=0.2, seed=0):
    """Loads scikit-image's LFW subset (200 images of 25x25), offline.

    The first half of the subset are faces, the second half are other
    crops of the same photographs; the labels say which (1 = face).

    Args:
        size: side of the returned square images. Defaults to `25`.
        test_split: fraction of the images held out as the test set.
            Defaults to `0.2`.
        seed: seed of the shuffle that splits train and test. Defaults to
            `0`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 grayscale images
        `(n, size, size, 1)` in [0, 1] and int32 labels (1 face, 0 not).

    Raises:
        ValueError: if `size`, `test_split` or `seed` is invalid.
        ImportError: if scikit-image is not installed.

    Example:

    >>> (x, y), (x_test, y_test) = keras_denoise.datasets.load_faces(24)
    >>> x.shape[1:], len(x) + len(x_test)
    ((24, 24, 1), 200)
    >>> sorted(set(y.tolist()))
    [0, 1]
    """
    size = check_int("size", size, minimum=2)
    test_split = _check_split(test_split)
    validate_seed(seed)
    data = _require("skimage.data")
    images = np.clip(data.lfw_subset().astype("float32"), 0.0, 1.0)
    images = _resize(images, size)[..., None]
    labels = np.zeros(len(images), dtype="int32")
    labels[: len(images) // 2] = 1
    return _split(images, labels, test_split, seed)


def _check_names(names):
    available = NATURAL_IMAGE_NAMES + _EXTRA_NATURAL_IMAGE_NAMES
    if names is None:
        return NATURAL_IMAGE_NAMES
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise TypeError(
            "`names` must be None or a list of image names. "
            f"Received: names={names!r}"
        )
    names = tuple(names)
    unknown = [n for n in names if n not in available]
    if unknown or not names:
        raise ValueError(
            f"`names` must be a non-empty list of {available}. "
            f"Received: names={names!r}"
        )
    return names


def load_natural_images(names=None, grayscale=False):
    """Loads the photographs bundled inside scikit-image, offline.

    Args:
        names: names of the images to load (see
            `keras_denoise.datasets.NATURAL_IMAGE_NAMES`; `"hubble_deep_field"`,
            `"microaneurysms"` and `"retina"` are also accepted), or `None`
            for all of `NATURAL_IMAGE_NAMES`. Defaults to `None`.
        grayscale: convert color images to one luminance channel.
            Defaults to `False` (images keep 1 or 3 channels).

    Returns:
        A dict from name to a float32 image `(height, width, channels)`
        in [0, 1]; sizes differ between images.

    Raises:
        ValueError: if a name is unknown.
        ImportError: if scikit-image is not installed.

    Example:

    >>> images = keras_denoise.datasets.load_natural_images(
    ...     ["camera", "coffee"], grayscale=True
    ... )
    >>> {name: image.shape for name, image in images.items()}
    {'camera': (512, 512, 1), 'coffee': (400, 600, 1)}
    """
    names = _check_names(names)
    data = _require("skimage.data")
    images = {}
    for name in names:
        image = _to_float(getattr(data, name)())
        if image.shape[-1] == 4:
            image = image[..., :3]
        if grayscale:
            image = to_grayscale(image)
        images[name] = image
    return images


def _resolve_held_out(names, held_out, seed):
    if isinstance(held_out, numbers.Real) and not isinstance(held_out, bool):
        if not 0.0 < held_out < 1.0:
            raise ValueError(
                "`held_out` must be a fraction in (0, 1) or a list of image "
                f"names. Received: held_out={held_out!r}"
            )
        count = max(1, int(round(len(names) * held_out)))
        if count >= len(names):
            raise ValueError(
                "`held_out` leaves no image for training. "
                f"Received: held_out={held_out!r} with {len(names)} images"
            )
        order = np.random.default_rng(seed).permutation(len(names))
        return tuple(sorted(names[i] for i in order[:count]))
    if isinstance(held_out, str) or not isinstance(held_out, (list, tuple)):
        raise TypeError(
            "`held_out` must be a fraction in (0, 1) or a list of image "
            f"names. Received: held_out={held_out!r}"
        )
    missing = [n for n in held_out if n not in names]
    if missing or len(set(held_out)) >= len(names):
        raise ValueError(
            "`held_out` must name some (not all) of the images in `names`. "
            f"Received: held_out={tuple(held_out)!r}, names={names!r}"
        )
    return tuple(held_out)


def _random_patches(image, patch_size, count, rng):
    height, width = image.shape[:2]
    if height < patch_size or width < patch_size:
        return np.empty((0, patch_size, patch_size, image.shape[-1]), "float32")
    rows = rng.integers(0, height - patch_size + 1, size=count)
    cols = rng.integers(0, width - patch_size + 1, size=count)
    return np.stack(
        [
            image[r : r + patch_size, c : c + patch_size]
            for r, c in zip(rows, cols, strict=True)
        ]
    )


def natural_patches(
    patch_size=40,
    patches_per_image=128,
    names=None,
    held_out=DEFAULT_HELD_OUT,
    grayscale=True,
    seed=0,
):
    """Random square patches of the bundled photographs, split by image.

    The split is by image, never by patch: no pixel of a held-out image
    appears in the training patches, so a held-out evaluation measures
    generalization to unseen pictures. The split does not depend on
    `patch_size`, so patches of two sizes can be drawn from the same split.

    Args:
        patch_size: side of the square patches. Defaults to `40`.
        patches_per_image: number of patches drawn from each image (with
            possible overlap between patches of one image). Defaults to
            `128`.
        names: images to use, as in `load_natural_images`. Defaults to
            `None` (all of `NATURAL_IMAGE_NAMES`).
        held_out: names of the held-out images, or a fraction of the
            images chosen with `seed`. Defaults to
            `("astronaut", "camera", "coins")`.
        grayscale: one luminance channel instead of RGB. Color images are
            converted and grayscale ones repeated to 3 channels when
            `grayscale=False`. Defaults to `True`.
        seed: seed of the patch positions (and of the split when
            `held_out` is a fraction). Defaults to `0`.

    Returns:
        `(train_patches, held_out_patches)`: float32 arrays
        `(n, patch_size, patch_size, channels)` in [0, 1].

    Raises:
        ValueError: if an argument is out of range or a name is unknown.
        ImportError: if scikit-image is not installed.

    Example:

    >>> train, test = keras_denoise.datasets.natural_patches(
    ...     32, patches_per_image=4
    ... )
    >>> train.shape[1:]
    (32, 32, 1)
    """
    patch_size = check_int("patch_size", patch_size, minimum=2)
    patches_per_image = check_int("patches_per_image", patches_per_image)
    validate_seed(seed)
    names = _check_names(names)
    held = _resolve_held_out(names, held_out, seed)
    images = load_natural_images(names, grayscale=grayscale)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for name in names:
        image = images[name]
        if not grayscale and image.shape[-1] == 1:
            image = np.repeat(image, 3, axis=-1)
        patches = _random_patches(image, patch_size, patches_per_image, rng)
        (test if name in held else train).append(patches)
    return np.concatenate(train), np.concatenate(test)
