"""Trained denoisers shipped inside the package: `pretrained(name)`."""

import json
import os

from keras_denoise.models.residual_denoiser import residual_denoiser
from keras_denoise.models.unet_denoiser import unet_denoiser

_WEIGHTS_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "weights"
)

# What each shipped model is for. Its architecture is stored beside its
# weights (`weights/<name>.json`: the builder and its arguments), written by
# benchmarks/train_pretrained.py when the weights are exported, so that the
# architecture measured best is the one that ships. The recipes, data and
# measured tables are in the model cards (docs/models/<name>.md).
_MODELS = {
    "gaussian_gray": "blind Gaussian denoiser for gray images, sigma 0-55",
    "gaussian_color": "blind Gaussian denoiser for RGB images, sigma 0-55",
}
_BUILDERS = {
    "residual_denoiser": residual_denoiser,
    "unet_denoiser": unet_denoiser,
}


def pretrained_names():
    """The names `keras_denoise.models.pretrained` accepts.

    Returns:
        A sorted list of model names.

    Example:

    >>> keras_denoise.models.pretrained_names()
    ['gaussian_color', 'gaussian_gray']
    """
    return sorted(_MODELS)


def weights_path(name):
    """The path of the weights file of a shipped model (no check)."""
    return os.path.join(_WEIGHTS_DIR, f"{name}.weights.h5")


def architecture_path(name):
    """The path of the architecture file of a shipped model (no check)."""
    return os.path.join(_WEIGHTS_DIR, f"{name}.json")


def _check_name(name):
    if not isinstance(name, str):
        raise TypeError(
            "`name` must be a string, one of "
            f"{', '.join(pretrained_names())}. Received: name={name!r}"
        )
    if name not in _MODELS:
        raise ValueError(
            f"Unknown pretrained model: name={name!r}. Available: "
            f"{', '.join(pretrained_names())}"
        )
    return name


def pretrained(name):
    """Returns a trained denoiser that ships inside the package.

    The weights are part of the installed package: nothing is downloaded,
    and the model loads on every Keras backend. The model is a functional
    `keras.Model` built by one of the package's builders (the model card
    says which), uncompiled; it takes float
    images in [0, 1] of any height and width, `(batch, height, width,
    channels)`, and returns the denoised images of the same shape. Both
    shipped models are blind: they estimate the noise themselves, for
    Gaussian noise of standard deviation 0 to 55 on the 0-255 scale.
    Compile it to fine-tune it with `fit`.

    | name | channels | trained for |
    |---|---|---|
    | `"gaussian_gray"` | 1 | blind Gaussian noise, sigma 0-55 |
    | `"gaussian_color"` | 3 | blind Gaussian noise, sigma 0-55 |

    The model cards in the documentation give each model's architecture,
    training data, recipe and measured PSNR/SSIM tables.

    Args:
        name: one of `keras_denoise.models.pretrained_names()`.

    Returns:
        An uncompiled `keras.Model` named `name`.

    Raises:
        TypeError: if `name` is not a string.
        ValueError: if `name` is not a shipped model (the message lists
            the names).
        FileNotFoundError: if the package was installed without its
            weights files.

    Example:

    >>> import numpy as np
    >>> model = keras_denoise.models.pretrained("gaussian_gray")
    >>> noisy = np.full((1, 32, 48, 1), 0.5, dtype="float32")
    >>> model.predict(noisy, verbose=0).shape
    (1, 32, 48, 1)
    """
    name = _check_name(name)
    path = weights_path(name)
    if not (os.path.isfile(path) and os.path.isfile(architecture_path(name))):
        raise FileNotFoundError(
            f"The weights of the pretrained model {name!r} are missing from "
            f"the installed package: {path}"
        )
    with open(architecture_path(name)) as f:
        spec = json.load(f)
    model = _BUILDERS[spec["builder"]](name=name, **spec["kwargs"])
    model.load_weights(path)
    return model
