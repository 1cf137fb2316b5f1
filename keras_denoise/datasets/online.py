"""MNIST and Fashion-MNIST through `keras.datasets`.

These loaders need a network connection the first time; afterwards Keras
keeps the files in its cache (`~/.keras/datasets`, or `$KERAS_HOME/datasets`
when that variable is set before Keras is imported).
"""

import gzip
import os

import numpy as np

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


def load_mnist(path=None):
    """Loads MNIST (60000 + 10000 digits of 28x28) as float images.

    Args:
        path: a local `.npz` file in Keras's MNIST format (arrays
            `x_train`, `y_train`, `x_test`, `y_test`), read without any
            network access; `None` calls `keras.datasets.mnist.load_data()`,
            which downloads `mnist.npz` into Keras's cache the first time
            and checks its SHA-256. Defaults to `None`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 images
        `(n, 28, 28, 1)` in [0, 1] and int32 labels.

    Raises:
        FileNotFoundError: if `path` does not exist.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = keras_denoise.datasets.load_mnist()
    x_train.shape  # (60000, 28, 28, 1)
    ```
    """
    if path is None:
        import keras

        train, test = keras.datasets.mnist.load_data()
    else:
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"`path` does not exist. Received: path={path!r}"
            )
        with np.load(path, allow_pickle=False) as data:
            train = data["x_train"], data["y_train"]
            test = data["x_test"], data["y_test"]
    return _normalize(*train), _normalize(*test)


def _read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_fashion_mnist(path=None):
    """Loads Fashion-MNIST (60000 + 10000 clothes of 28x28) as float images.

    Args:
        path: a local directory holding the four gzipped IDX files of
            Fashion-MNIST (`train-images-idx3-ubyte.gz`,
            `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`,
            `t10k-labels-idx1-ubyte.gz`), read without network access;
            `None` calls `keras.datasets.fashion_mnist.load_data()`, which
            downloads them into Keras's cache
            (`datasets/fashion-mnist/`) the first time. Defaults to `None`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 images
        `(n, 28, 28, 1)` in [0, 1] and int32 labels 0-9.

    Raises:
        FileNotFoundError: if a file is missing from `path`.

    Example:

    ```python
    (x_train, _), (x_test, _) = keras_denoise.datasets.load_fashion_mnist()
    x_test.shape  # (10000, 28, 28, 1)
    ```
    """
    if path is None:
        import keras

        train, test = keras.datasets.fashion_mnist.load_data()
        return _normalize(*train), _normalize(*test)
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
