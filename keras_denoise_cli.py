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


def quiet_import_keras(first_op=True):
    """Imports Keras, the backend and `keras_denoise` without log lines.

    `first_op=False` runs no TensorFlow operation: a worker of a
    multi-worker job (`--cluster`) must create its strategy first.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with stderr_silenced():
        import keras

        if first_op and keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.constant(0.0) + 1.0  # triggers the first-op log lines
        import keras_denoise  # noqa: F401 - registers the classes
    return keras


def main(argv=None):
    """Runs `keras-denoise` with a quiet backend start; returns the status."""
    arguments = sys.argv[1:] if argv is None else argv
    joins = any(a.split("=")[0] == "--cluster" for a in arguments)
    quiet_import_keras(first_op=not joins)
    from keras_denoise.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
