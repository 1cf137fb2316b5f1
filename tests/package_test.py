"""Package-level behaviour: registration on import, lazy modules."""

import os
import subprocess
import sys
import textwrap

import pytest

# Each test starts fresh Python processes (TensorFlow imported anew).
pytestmark = pytest.mark.slow


def _run(code, backend="tensorflow"):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_saved_model_loads_after_plain_package_import(tmp_path):
    path = tmp_path / "vae.keras"
    save = f"""
        import keras_denoise
        model = keras_denoise.models.variational_autoencoder(
            (8, 8, 1), latent_dim=2, architecture="dense"
        )
        model.compile(
            optimizer="adam", metrics=[keras_denoise.metrics.PSNR()]
        )
        model.save({str(path)!r})
    """
    # A fresh process that imports only the top-level package, as a user
    # loading a file would.
    load = f"""
        import keras
        import keras_denoise
        model = keras.saving.load_model({str(path)!r})
        names = {{type(layer).__name__ for layer in model.layers}}
        assert "VariationalLossLayer" in names, names
        print("loaded", model.name)
    """
    saved = _run(save)
    assert saved.returncode == 0, saved.stderr[-3000:]
    loaded = _run(load)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert "loaded" in loaded.stdout


def test_lazy_modules_are_not_imported_by_the_package():
    result = _run(
        """
        import sys
        import keras_denoise
        lazy = [m for m in ("datasets", "evaluation", "inference",
                            "visualization", "cli")
                if f"keras_denoise.{m}" in sys.modules]
        print(lazy)
        assert keras_denoise.datasets.__name__ == "keras_denoise.datasets"
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[0] == "[]"
