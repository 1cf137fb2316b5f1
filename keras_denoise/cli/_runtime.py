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


def on_terminal():
    """Whether standard output is a terminal (progress bars redraw lines
    with control characters, which only a terminal should receive)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Progress over the files of `denoise` and `evaluate`.

    `verbosity` `None` (the default) draws a Keras progress bar with an
    ETA on a terminal and prints nothing when the output is piped; `0`
    prints nothing; `2` prints one line per file.
    """

    def __init__(self, total, verbosity=None, unit="file"):
        self.total, self.count, self.verbosity = total, 0, verbosity
        self.partial = 0.0
        self.bar = None
        if verbosity is None and on_terminal() and total:
            import keras

            self.bar = keras.utils.Progbar(total, unit_name=unit)

    def add(self, name, count=1):
        """Records `count` more items done, the last one called `name`."""
        self.count += count
        self.partial = 0.0
        if self.bar is not None:
            self.bar.update(self.count)
        elif self.verbosity == 2:
            say(f"[{self.count}/{self.total}] {name}")

    def part(self, name, fraction):
        """Records that `fraction` of the next item, `name`, is done: the
        bar moves within the item; one line per tenth with `verbosity` 2."""
        tenths = int(fraction * 10)
        if self.bar is not None:
            self.bar.update(self.count + fraction)
        elif self.verbosity == 2 and tenths > int(self.partial * 10):
            say(f"[{self.count + 1}/{self.total}] {name}: {tenths * 10} %")
        self.partial = fraction


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


def start_keras(first_op=True):
    """Imports Keras, starts its backend and registers the package's
    classes, with the backend's start-up lines on stderr silenced.

    The command calls this once its arguments are parsed; the package,
    imported by then, did not import Keras when the process was started
    as the command (see `keras_denoise._started_as_command`).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras_denoise

    try:
        with _stderr_silenced():
            import keras

            # A worker of a multi-worker job (`--cluster`) runs no
            # TensorFlow operation before it creates its strategy.
            if first_op and keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                tf.constant(0.0) + 1.0  # triggers the first-op log lines
            keras_denoise._import_submodules()
    except Exception as error:  # noqa: BLE001 - one line, no traceback
        detail = " ".join(str(error).split()) or type(error).__name__
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        raise CLIError(
            f"cannot start Keras with backend {backend!r} (KERAS_BACKEND): "
            f"{detail}"
        ) from None


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
    try:
        os.stat(path)
    except PermissionError:
        raise CLIError(
            f"cannot reach model file {path}: permission denied (a folder "
            "on its path is not searchable)"
        ) from None
    except OSError:
        raise CLIError(f"model file not found: {path}") from None
    if os.path.isdir(path):
        raise CLIError(f"model path is a directory, not a .keras file: {path}")
    if not os.access(path, os.R_OK):
        raise CLIError(f"cannot read model file {path}: permission denied")
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


def _image_output_shape(model, probe):
    """Static shape of the image output (`"denoised"` of a dual model)
    for an input of shape `probe`, or `None` when it cannot be told."""
    import keras

    try:
        spec = model.compute_output_spec(keras.KerasTensor(probe))
    except Exception:  # noqa: BLE001 - a model that needs other sizes
        return None
    if isinstance(spec, dict):
        spec = spec.get("denoised")
    elif isinstance(spec, (list, tuple)):
        names = output_names(model)
        spec = spec[names.index("denoised")] if "denoised" in names else None
    shape = getattr(spec, "shape", None)
    return None if shape is None else tuple(shape)


def check_image_to_image(model, path="model"):
    """Refuses an image model whose output image is not the size of its
    input (a strided or unpadded model), before any work: `denoise` and
    `evaluate` would write or score images of the wrong size."""
    height, width, channels = image_input_shape(model, path)
    # A non-square probe (multiples of 16) also catches swapped axes.
    probe = (1, height or 64, width or 48, channels)
    shape = _image_output_shape(model, probe)
    if shape is None:
        return
    if len(shape) != 4 or tuple(shape[1:3]) != probe[1:3]:
        raise CLIError(
            f"{path} does not output an image of its input's size: for "
            f"input {probe[1:]} it outputs {tuple(shape[1:])}, so it is "
            "not an image-to-image denoiser"
        )


class _PipeSafeStream:
    """A stdout whose reader may go away (`keras-denoise train | head`):
    once the pipe is closed the output is dropped, the run goes on."""

    def __init__(self, stream):
        self._stream = stream
        self._closed_pipe = False

    def _drop(self):
        self._closed_pipe = True
        try:
            # Later writes, and the interpreter's final flush, go nowhere.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def write(self, text):
        if self._closed_pipe:
            return len(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._drop()
            return len(text)

    def flush(self):
        if self._closed_pipe:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._drop()

    def __getattr__(self, name):
        return getattr(self._stream, name)


def guard_stdout():
    """Makes a closed stdout pipe drop the output instead of ending the
    run (training is not lost because nobody reads its progress)."""
    if not isinstance(sys.stdout, _PipeSafeStream) and sys.stdout is not None:
        sys.stdout = _PipeSafeStream(sys.stdout)
