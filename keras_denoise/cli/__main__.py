"""`python -m keras_denoise.cli` runs the `keras-denoise` command.

The installed `keras-denoise` script (and `python -m keras_denoise_cli`)
also silences the backend's start-up lines on stderr; this entry point
imports the package, and so the backend, before it can.
"""

import sys

from keras_denoise.cli import main

if __name__ == "__main__":
    sys.exit(main())
