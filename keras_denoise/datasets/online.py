"""MNIST and Fashion-MNIST through Keras's download cache.

These loaders need a network connection the first time; afterwards Keras
keeps the files in its cache (`~/.keras/datasets`, or `$KERAS_HOME`).
"""

import gzip
import os

import numpy as np

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_MNIST_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
_FASHION_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)


def _normalize(images, labels):
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(
            "Expected images of shape (n, height, width). "
            f"Received: shape={images.shape}"
        )
    images = images.astype("float32")[..., None] / 255.0
    return images, np.asarray(labels).astype("int32")


def load_mnist(path=None, cache_dir=None):
    """Loads MNIST (60000 + 10000 digits of 28x28) as float images.

    Args:
        path: a local `.npz` file in Keras's MNIST format (arrays
            `x_train`, `y_train`, `x_test`, `y_test`), read without any
            network access; `None` downloads the file into Keras's cache
            the first time (checked against its SHA-256). Defaults to
            `None`.
        cache_dir: directory of the download cache; `None` uses Keras's
            (`$KERAS_HOME` or `~/.keras`). Defaults to `None`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 images
        `(n, 28, 28, 1)` in [0, 1] and int32 labels.

    Raises:
        FileNotFoundError: if `path` does not exist.
    """
    if path is None:
        import keras

        path = keras.utils.get_file(
            "mnist.npz",
            origin=_ORIGIN + "mnist.npz",
            file_hash=_MNIST_HASH,
            cache_dir=cache_dir,
        )
    elif not os.path.isfile(path):
        raise FileNotFoundError(
            f"`path` does not exist. Received: path={path!r}"
        )
    with np.load(path, allow_pickle=False) as data:
        train = _normalize(data["x_train"], data["y_train"])
        test = _normalize(data["x_test"], data["y_test"])
    return train, test


def _read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_fashion_mnist(path=None, cache_dir=None):
    """Loads Fashion-MNIST (60000 + 10000 clothes of 28x28) as float images.

    Args:
        path: a local directory holding the four gzipped IDX files of
            Fashion-MNIST (`train-images-idx3-ubyte.gz`, ...), read
            without network access; `None` downloads them into Keras's
            cache the first time. Defaults to `None`.
        cache_dir: directory of the download cache; `None` uses Keras's.
            Defaults to `None`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 images
        `(n, 28, 28, 1)` in [0, 1] and int32 labels 0-9.

    Raises:
        FileNotFoundError: if a file is missing from `path`.
    """
    if path is None:
        import keras

        paths = [
            keras.utils.get_file(
                name,
                origin=_ORIGIN + name,
                cache_dir=cache_dir,
                cache_subdir=os.path.join("datasets", "fashion-mnist"),
            )
            for name in _FASHION_FILES
        ]
    else:
        paths = [os.path.join(path, name) for name in _FASHION_FILES]
        missing = [p for p in paths if not os.path.isfile(p)]
        if missing:
            raise FileNotFoundError(
                f"Fashion-MNIST files missing from `path`: {missing}. "
                f"Received: path={path!r}"
            )
    y_train = _read_idx(paths[0], 8)
    x_train = _read_idx(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read_idx(paths[2], 8)
    x_test = _read_idx(paths[3], 16).reshape(len(y_test), 28, 28)
    return _normalize(x_train, y_train), _normalize(x_test, y_test)
