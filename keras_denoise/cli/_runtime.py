"""Quiet imports, model files and model inspection for the command line."""

import contextlib
import os
import sys
import zipfile


class CLIError(Exception):
    """An error reported as one line, without a traceback."""


def say(message):
    """Prints one line of the command's output at once."""
    print(message, flush=True)


@contextlib.contextmanager
def _stderr_silenced():
    """Silences file descriptor 2 (the backend's C++ log lines)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_keras():
    """Returns Keras with its backend started, without log lines.

    The package is imported by now (and Keras with it): the launcher
    `keras_denoise_cli` silences that start itself, since it runs before
    the package can. What remains is TensorFlow's first operation, which
    logs a few lines of its own.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    if keras.backend.backend() == "tensorflow":
        with _stderr_silenced():
            import tensorflow as tf

            tf.constant(0.0) + 1.0  # triggers the first-op log lines
    return keras


def load_model(path):
    """Loads a `.keras` file, turning every failure into a `CLIError`."""
    if not os.path.exists(path):
        raise CLIError(f"model file not found: {path}")
    if os.path.isdir(path):
        raise CLIError(f"model path is a directory, not a .keras file: {path}")
    if not zipfile.is_zipfile(path):
        raise CLIError(f"not a Keras model file (.keras zip archive): {path}")
    keras = import_keras()
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001 - any corrupt-file error
        detail = str(error).strip().splitlines()
        detail = detail[0] if detail else type(error).__name__
        raise CLIError(f"cannot load model {path}: {detail}") from None
    if not isinstance(model, keras.Model):
        raise CLIError(f"{path} holds no Keras model")
    return model


def save_model_atomic(model, path):
    """Saves `model` to `path` through a temporary file and a rename."""
    from keras_denoise._files import atomic_path

    with atomic_path(path, suffix=".keras") as temp_path:
        model.save(temp_path)


def image_input_shape(model, path="model"):
    """`(height, width, channels)` of an image model's input (None = any)."""
    inputs = model.inputs if getattr(model, "inputs", None) else None
    if not inputs or len(inputs) != 1:
        raise CLIError(f"{path} is not an image model (it needs one input)")
    shape = tuple(inputs[0].shape)
    if len(shape) != 4 or shape[-1] not in (1, 3):
        raise CLIError(
            f"{path} is not an image model: its input shape is {shape}, "
            "expected (batch, height, width, 1 or 3)"
        )
    return shape[1:]


def fixed_size(model):
    """`(height, width)` of a fixed-size image model, `None` for any."""
    height, width, _ = image_input_shape(model)
    if height is None or width is None:
        return None
    return (height, width)


def output_names(model):
    return list(getattr(model, "output_names", None) or [])


def is_dual(model):
    names = output_names(model)
    return "denoised" in names and "label" in names


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(getattr(layer, "layers", None), list):
            yield from _all_layers(layer)


def is_vae(model):
    from keras_denoise.layers import VariationalLossLayer

    return any(isinstance(x, VariationalLossLayer) for x in _all_layers(model))


def model_kind(model, path="model"):
    """`"denoiser"` (an image out per image in), `"dual"` (`"denoised"` and
    `"label"` outputs) or `"classifier"` (class probabilities)."""
    _, _, channels = image_input_shape(model, path)
    if is_dual(model):
        return "dual"
    shapes = [tuple(output.shape) for output in model.outputs]
    if len(shapes) == 1 and len(shapes[0]) == 4 and shapes[0][-1] == channels:
        return "denoiser"
    if len(shapes) == 1 and len(shapes[0]) == 2:
        return "classifier"
    raise CLIError(
        f"{path} is neither an image-to-image model nor a classifier: its "
        f"output shape is {', '.join(map(str, shapes))} for {channels}-"
        "channel images"
    )
