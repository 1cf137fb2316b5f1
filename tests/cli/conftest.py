"""Fixtures of the command-line tests."""

import pytest
from cli_helpers import TINY

from keras_denoise.cli import main


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A tiny residual denoiser trained once by `keras-denoise train`."""
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--output", str(out), *TINY]) == 0
    return out
