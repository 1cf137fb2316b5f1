"""Denoising autoencoders and variational autoencoders for Keras 3.

`import keras_denoise` imports the layers, models, metrics and callbacks,
which registers every serializable class with Keras, so
`keras.saving.load_model("model.keras")` works right after it without
`custom_objects`. These modules use `keras.ops` only and never import
TensorFlow themselves. The data, distribution, evaluation, inference,
visualization and command-line modules are imported on first use
(`keras_denoise.datasets` needs `tf.data`).
"""

import importlib

__version__ = "0.1.0"

from keras_denoise import callbacks  # noqa: E402
from keras_denoise import layers  # noqa: E402
from keras_denoise import metrics  # noqa: E402
from keras_denoise import models  # noqa: E402

_LAZY_SUBMODULES = (
    "cli",
    "datasets",
    "distribute",
    "evaluation",
    "inference",
    "visualization",
)

__all__ = [
    "__version__",
    "callbacks",
    "layers",
    "metrics",
    "models",
    *_LAZY_SUBMODULES,
]


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
