"""Denoising autoencoders and variational autoencoders for Keras 3.

Submodules are imported on first use so that ``import keras_denoise`` stays
cheap and never imports TensorFlow when another Keras backend is selected
(only :mod:`keras_denoise.datasets` needs ``tf.data``).
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "callbacks",
    "cli",
    "datasets",
    "evaluation",
    "layers",
    "metrics",
    "models",
    "visualization",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
