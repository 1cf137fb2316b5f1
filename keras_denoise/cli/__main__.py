"""`python -m keras_denoise.cli` runs the `keras-denoise` command."""

import sys

from keras_denoise.cli import main

if __name__ == "__main__":
    sys.exit(main())
