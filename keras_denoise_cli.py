"""Launcher of the `keras-denoise` command (`python -m keras_denoise_cli`).

The installed `keras-denoise` script calls `main` here. The command parses
its arguments before Keras is imported, so `--help`, `--version` and usage
errors answer at once; it then starts the backend with its start-up lines
on stderr silenced (see `keras_denoise.cli._runtime.start_keras`).
"""

import sys


def main(argv=None):
    """Runs `keras-denoise`; returns the exit status."""
    from keras_denoise.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
