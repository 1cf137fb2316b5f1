"""Draws the pictures of the documentation with keras_denoise itself.

Usage (from the repository root, with the `data` extra installed):

    python docs/scripts/make_figures.py            # writes docs/images/*.png
    python docs/scripts/make_figures.py --output DIR

Every picture is made by the package (layers, builders, callbacks-free
training, `keras_denoise.visualization`) with small settings, so the whole
script takes about a minute on a 2-core CPU; CI runs it into a temporary
folder (`tests/docs/figures_test.py`). The figures:

- `first_denoiser.png`: the home page's 15-line denoiser (clean / noisy /
  denoised digits);
- `corruptions.png`: every corruption layer at three severities, a chain
  (noise, then blur) and a `RandomCorruption` mixture;
- `vae_samples.png`, `vae_latent.png`: a 2-D VAE on the digits, images
  decoded from a grid of codes and its latent space coloured by digit;
- `restoration.png`: a small residual denoiser on held-out photographs;
- `self_supervised.png`: the same kind of network trained on noisy patches
  alone with `Noise2Void` and `Neighbor2Neighbor`, on a held-out crop.
"""

import argparse
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_denoise  # noqa: E402
from keras_denoise import layers  # noqa: E402
from keras_denoise import visualization  # noqa: E402

FIGURES = (
    "first_denoiser.png",
    "corruptions.png",
    "vae_samples.png",
    "vae_latent.png",
    "restoration.png",
    "self_supervised.png",
)


# `--quick` trains every model one epoch: the pictures keep their layout
# (what the documentation test compares), not their quality.
_QUICK = []


def _epochs(count):
    return 1 if _QUICK else count


def first_denoiser(path):
    keras.utils.set_random_seed(0)
    (x_train, _), (x_test, _) = keras_denoise.datasets.load_digits(size=16)
    noise = layers.AdditiveGaussianNoise(stddev=(0.1, 0.4), seed=0)
    model = keras_denoise.models.conv_autoencoder(
        (16, 16, 1), filters=(32, 64), corruption=noise
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(x_train, x_train, epochs=_epochs(8), batch_size=32, verbose=0)
    noisy = layers.AdditiveGaussianNoise(0.3, seed=1).corrupt(x_test[:10])
    noisy = keras.ops.convert_to_numpy(noisy)
    denoised = model.predict(noisy, verbose=0)
    visualization.comparison_grid(
        x_test[:10], noisy, denoised, path=path, scale=3
    )


def corruptions(path):
    image = keras_denoise.datasets.load_natural_images(
        ["camera"], grayscale=True
    )["camera"]
    crop = image[140:236, 200:296][None]  # 96x96, the cameraman's head
    rows, labels = [], []
    kinds = [
        ("gaussian", layers.AdditiveGaussianNoise, (0.05, 0.1, 0.2)),
        ("speckle", layers.SpeckleNoise, (0.1, 0.25, 0.5)),
        ("salt & pepper", layers.SaltAndPepperNoise, (0.02, 0.05, 0.15)),
        ("poisson", layers.PoissonNoise, (100.0, 30.0, 10.0)),
        ("blur", layers.GaussianBlur, (0.7, 1.5, 3.0)),
    ]
    for name, layer_class, severities in kinds:
        row = [crop[0]]
        for severity in severities:
            row.append(
                keras.ops.convert_to_numpy(
                    layer_class(severity, seed=0).corrupt(crop)
                )[0]
            )
        rows.append(np.stack(row))
        labels.append(name)
    # A chain is a keras.Sequential: noise of three levels, then a blur.
    row = [crop[0]]
    for stddev in (0.05, 0.1, 0.2):
        chain = keras.Sequential(
            [
                layers.AdditiveGaussianNoise(stddev, seed=0),
                layers.GaussianBlur(1.0),
            ]
        )
        row.append(keras.ops.convert_to_numpy(chain(crop, training=True))[0])
    rows.append(np.stack(row))
    labels.append("noise + blur")
    # RandomCorruption picks one corruption per image of a batch of copies.
    mixture = layers.RandomCorruption(
        [
            layers.AdditiveGaussianNoise(0.1, seed=1),
            layers.SaltAndPepperNoise(0.05, seed=2),
            layers.GaussianBlur(1.5),
        ],
        seed=3,
    )
    mixed = mixture.corrupt(np.repeat(crop, 3, axis=0))
    rows.append(np.concatenate([crop, keras.ops.convert_to_numpy(mixed)]))
    labels.append("random mix")
    grid = visualization.image_grid(rows, labels=labels, scale=1)
    # The grid is gray (R = G = B): one channel keeps the PNG under 300 KiB.
    keras_denoise.datasets.write_image(path, grid[..., :1] / 255.0)


def vae(samples_path, latent_path):
    keras.utils.set_random_seed(0)
    (x_train, _), (x_test, y_test) = keras_denoise.datasets.load_digits(size=16)
    model = keras_denoise.models.variational_autoencoder(
        (16, 16, 1), latent_dim=2, seed=0
    )
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    annealing = keras_denoise.callbacks.KLAnnealing(target=1.0, warmup_epochs=5)
    model.fit(
        x_train,
        epochs=_epochs(15),
        batch_size=32,
        verbose=0,
        callbacks=[annealing],
    )
    decoder = model.get_layer("decoder")
    grid = np.linspace(-2.0, 2.0, 8)
    codes = np.array([[a, b] for b in grid[::-1] for a in grid], "float32")
    images = decoder.predict(codes, verbose=0)
    visualization.image_grid(
        list(images.reshape(8, 8, 16, 16, 1)), path=samples_path, scale=2
    )
    z_mean = model.get_layer("encoder").predict(x_test, verbose=0)[0]
    visualization.latent_scatter(
        z_mean, y_test, path=latent_path, size=400, legend=True
    )


def restoration(path):
    keras.utils.set_random_seed(0)
    train, held_out = keras_denoise.datasets.natural_patches(
        patch_size=32, patches_per_image=48
    )
    noise = layers.AdditiveGaussianNoise(stddev=(0.0, 0.2), seed=0)
    model = keras_denoise.models.residual_denoiser(
        depth=6, filters=32, batch_norm=False, corruption=noise
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    model.fit(train, train, epochs=_epochs(6), batch_size=32, verbose=0)
    image = keras_denoise.datasets.load_natural_images(
        ["astronaut"], grayscale=True
    )["astronaut"]
    clean = image[40:136:, 180:276][None]  # a 96x96 held-out crop
    noisy = keras.ops.convert_to_numpy(
        layers.AdditiveGaussianNoise(0.1, seed=3).corrupt(clean)
    )
    denoised = np.clip(model.predict(noisy, verbose=0), 0.0, 1.0)
    visualization.image_grid(
        [np.concatenate([clean, noisy, denoised])],
        path=path,
        labels=["clean / noisy / denoised"],
        scale=2,
    )
    del held_out


def self_supervised(path):
    train, _ = keras_denoise.datasets.natural_patches(
        patch_size=32, patches_per_image=48
    )
    rng = np.random.default_rng(0)
    noisy_train = (train + rng.normal(0.0, 0.1, train.shape)).astype("float32")
    image = keras_denoise.datasets.load_natural_images(
        ["astronaut"], grayscale=True
    )["astronaut"]
    clean = image[40:136:, 180:276][None]  # a 96x96 held-out crop
    noisy = (clean + rng.normal(0.0, 0.1, clean.shape)).astype("float32")
    rows = [clean, noisy]
    for wrapper in (
        keras_denoise.models.Noise2Void,
        keras_denoise.models.Neighbor2Neighbor,
    ):
        keras.utils.set_random_seed(0)
        dncnn = keras_denoise.models.residual_denoiser(
            depth=6, filters=32, batch_norm=False
        )
        # Without the residual skip, which Noise2Void needs.
        denoiser = keras.Model(dncnn.input, dncnn.get_layer("noise").output)
        model = wrapper(denoiser, seed=0)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit(noisy_train, epochs=_epochs(6), batch_size=32, verbose=0)
        rows.append(np.clip(denoiser.predict(noisy, verbose=0), 0.0, 1.0))
    visualization.image_grid(
        [np.concatenate(rows)],
        path=path,
        labels=["clean / noisy / Noise2Void / Neighbor2Neighbor"],
        scale=2,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        default=os.path.join(os.path.dirname(__file__), "..", "images"),
        help="folder of the PNG files (default: docs/images)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="train one epoch per model (checks the script and the layout)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        _QUICK.append(True)
    os.makedirs(args.output, exist_ok=True)
    out = lambda name: os.path.join(args.output, name)  # noqa: E731
    corruptions(out("corruptions.png"))
    first_denoiser(out("first_denoiser.png"))
    vae(out("vae_samples.png"), out("vae_latent.png"))
    restoration(out("restoration.png"))
    self_supervised(out("self_supervised.png"))
    for name in FIGURES:
        size = os.path.getsize(out(name))
        print(f"{out(name)}: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
