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
import os
import sys

__version__ = "0.1.0"

_REGISTERING_SUBMODULES = ("callbacks", "layers", "metrics", "models")
# The module names and script name that start the `keras-denoise` command.
_COMMAND_MODULES = ("keras_denoise", "keras_denoise.cli", "keras_denoise_cli")
_COMMAND_SCRIPTS = ("keras-denoise", "keras-denoise.exe")


def _started_as_command(argv=None):
    """Whether this process was started as the `keras-denoise` command
    (`python -m keras_denoise`, `python -m keras_denoise_cli` or the
    installed script).

    The command parses its arguments before Keras is imported, so that
    `--help`, `--version` and usage errors answer at once; it imports the
    submodules below itself right after parsing. Read from
    `sys.orig_argv`, the interpreter's own command line.
    """
    argv = list(sys.orig_argv if argv is None else argv)
    if len(argv) > 1 and os.path.basename(argv[1]) in _COMMAND_SCRIPTS:
        return True
    options_with_value = ("-W", "-X", "--check-hash-based-pycs")
    args = iter(argv[1:])
    for arg in args:
        if arg == "-m":
            return next(args, None) in _COMMAND_MODULES
        if arg.startswith("-m"):
            return arg[2:] in _COMMAND_MODULES
        if arg in options_with_value:
            next(args, None)
        elif arg in ("-c", "-", "--") or not arg.startswith("-"):
            return False
    return False


def _import_submodules():
    """Imports the submodules that register the serializable classes."""
    for name in _REGISTERING_SUBMODULES:
        importlib.import_module(f"{__name__}.{name}")


if not _started_as_command():
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
    if name in _LAZY_SUBMODULES or name in _REGISTERING_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
