"""Launcher of the `keras-denoise` command.

`import keras_denoise` imports Keras, and with it the backend, which prints
start-up lines on file descriptor 2 (TensorFlow's C++ logging ignores
`TF_CPP_MIN_LOG_LEVEL` for most of them). The command promises one line on
stderr for an error, so this module lives outside the package: it silences
descriptor 2 while the backend starts, then imports the package and runs
`keras_denoise.cli.main`.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def stderr_silenced():
    """Silences file descriptor 2 (the backend's C++ start-up chatter)."""
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


def quiet_import_keras():
    """Imports Keras, the backend and `keras_denoise` without log lines."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with stderr_silenced():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.constant(0.0) + 1.0  # triggers the first-op log lines
        import keras_denoise  # noqa: F401 - registers the classes
    return keras


# The real stderr, kept while descriptor 2 is silenced during start-up.
_STDERR = None


def _stop_at_start(signum, frame):
    # Nothing is written yet: one line and the signal's exit status.
    line = b"keras-denoise: error: interrupted during start-up\n"
    os.write(2 if _STDERR is None else _STDERR, line)
    os._exit(128 + signum)


def main(argv=None):
    """Runs `keras-denoise` with a quiet backend start; returns the status."""
    import signal

    stops = [
        getattr(signal, name)
        for name in ("SIGINT", "SIGTERM", "SIGHUP")
        if hasattr(signal, name)
    ]
    global _STDERR
    try:
        _STDERR = os.dup(2)
    except OSError:
        _STDERR = None
    previous = {
        signum: signal.signal(signum, _stop_at_start) for signum in stops
    }
    try:
        quiet_import_keras()
    except Exception as error:  # noqa: BLE001 - one line, no traceback
        detail = " ".join(str(error).split()) or type(error).__name__
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        print(
            f"keras-denoise: error: cannot start Keras with backend "
            f"{backend!r} (KERAS_BACKEND): {detail}",
            file=sys.stderr,
        )
        return 1
    for signum, handler in previous.items():
        signal.signal(signum, handler)
    from keras_denoise.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
