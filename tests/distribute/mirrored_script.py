"""Trains the package under `tf.distribute.MirroredStrategy` on 2 CPUs.

Usage: `python mirrored_script.py RESULTS_JSON WORK_DIR`.

Run by `mirrored_test.py` in a fresh process, because the CPU must be split
into two logical devices before TensorFlow initialises. Every case builds
the same model twice from the same initial weights, once on the default
(single-device) strategy and once inside `strategy.scope()`, trains both on
the same data with the same global batch size and no shuffling, and
reports both histories and the largest difference of the final weights.
"""

import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402

tf = _common.configure(logical_cpus=2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_denoise import callbacks  # noqa: E402
from keras_denoise import layers  # noqa: E402
from keras_denoise import models  # noqa: E402

SHAPE, CLASSES, SEED = _common.SHAPE, _common.CLASSES, _common.SEED
EPOCHS, BATCH = 2, 8


def _adam():
    return {"optimizer": keras.optimizers.Adam(1e-2), "loss": "mse"}


def _metrics_available():
    try:
        from keras_denoise import metrics
    except ImportError:
        return False
    return hasattr(metrics, "PSNR") and hasattr(metrics, "SSIM")


def _with_image_metrics():
    from keras_denoise import metrics

    return {
        "optimizer": keras.optimizers.Adam(1e-2),
        "loss": "mse",
        "metrics": [metrics.PSNR(), metrics.SSIM()],
    }


def _classifier_compile():
    return {
        "optimizer": keras.optimizers.Adam(1e-2),
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
    }


def _dual_compile():
    return {
        "optimizer": keras.optimizers.Adam(1e-2),
        "loss": dict(_common.DUAL_OUTPUT_LOSS),
        "loss_weights": {"denoised": 1.0, "label": 0.5},
    }


def _vae_compile():
    return {"optimizer": _common.vae_optimizer()}


def _backbone():
    return keras.Sequential(
        [
            keras.Input(SHAPE),
            keras.layers.Conv2D(4, 3, strides=2, padding="same"),
            keras.layers.Conv2D(8, 3, strides=2, padding="same"),
        ],
        name="backbone",
    )


def _latent_classifier():
    encoder = _common.small_autoencoder().get_layer("encoder")
    return models.latent_classifier(encoder, CLASSES, hidden_units=(8,))


def _all_corruptions():
    return layers.RandomCorruption(
        [
            layers.AdditiveGaussianNoise((0.0, 0.2), seed=1),
            layers.SpeckleNoise(0.2, seed=2),
            layers.SaltAndPepperNoise(0.05, seed=3),
            layers.PoissonNoise(50.0, seed=4),
            layers.GaussianBlur(1.0),
        ],
        clean_probability=0.1,
        seed=5,
    )


def _chained_corruption():
    return keras.Sequential(
        [layers.SpeckleNoise(0.1, seed=6), layers.GaussianBlur((0.5, 1.0))],
        name="chain",
    )


def _deterministic_cases(x, labels):
    cases = {
        "conv_autoencoder": (
            _common.small_autoencoder,
            _with_image_metrics if _metrics_available() else _adam,
            x,
        ),
        "conv_autoencoder_dense_latent": (
            lambda: models.conv_autoencoder(
                SHAPE, filters=(4,), latent_dim=6, downsampling="pooling"
            ),
            _adam,
            x,
        ),
        "dense_autoencoder": (
            lambda: models.dense_autoencoder(
                SHAPE, hidden_units=(16,), latent_dim=4
            ),
            _adam,
            x,
        ),
        "residual_denoiser": (
            lambda: models.residual_denoiser(
                channels=1, depth=3, filters=4, batch_norm=False
            ),
            _adam,
            x,
        ),
        "backbone_autoencoder": (
            lambda: models.backbone_autoencoder(_backbone()),
            _adam,
            x,
        ),
        "cnn_classifier": (
            _common.small_classifier,
            _classifier_compile,
            labels,
        ),
        "latent_classifier": (_latent_classifier, _classifier_compile, labels),
        "denoise_classifier": (
            _common.dual_output,
            _dual_compile,
            {"denoised": x, "label": labels},
        ),
        "inception_denoise_classifier": (
            lambda: models.inception_denoise_classifier(
                SHAPE,
                CLASSES,
                autoencoder=_common.small_autoencoder(),
                hidden_units=8,
                dropout=0.0,
            ),
            _dual_compile,
            {"denoised": x, "label": labels},
        ),
    }
    if hasattr(models, "Noise2Void"):
        # Every pixel masked: no random draw, so both runs see the same
        # inputs and the loss must be scaled to the global batch exactly.
        cases["noise2void_all_pixels"] = (
            lambda: models.Noise2Void(_plain_dncnn(), mask_fraction=1.0),
            _self_supervised_compile,
            None,
        )
    if hasattr(models, "variational_autoencoder"):
        cases["variational_autoencoder"] = (
            _common.vae,
            _vae_compile,
            None,
        )
    return cases


def _fit(model, x, y, callback_list=(), epochs=EPOCHS):
    history = model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=epochs,
        shuffle=False,
        verbose=0,
        callbacks=list(callback_list),
    )
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}


def _trainable(model):
    return [variable.numpy() for variable in model.trainable_weights]


def _pair(strategy, build, compile_kwargs, x, y, prepare=None, **fit_kwargs):
    """Trains one model single-device and one mirrored from equal weights."""
    keras.utils.set_random_seed(SEED)
    reference = build()
    if prepare is not None:
        prepare(reference)
    initial = reference.get_weights()
    initial_trainable = _trainable(reference)
    reference.compile(**compile_kwargs())
    single = _fit(reference, x, y, **fit_kwargs)
    with strategy.scope():
        keras.utils.set_random_seed(SEED)
        model = build()
        model.set_weights(initial)
        model.compile(**compile_kwargs())
    mirrored = _fit(model, x, y, **fit_kwargs)
    return {
        "single": single,
        "mirrored": mirrored,
        # Trainable weights only: the VAE's running loss sums would dwarf
        # the rest.
        "weight_diff": _common.max_weight_difference(
            _trainable(reference), _trainable(model)
        ),
        "weight_moved": _common.max_weight_difference(
            initial_trainable, _trainable(reference)
        ),
        "replicas": strategy.num_replicas_in_sync,
        "variables_mirrored": all(
            type(v.value).__name__ == "MirroredVariable"
            for v in model.trainable_variables
        ),
    }


def _trains(strategy, build, compile_kwargs, x, y, work_dir, name):
    """Trains a non-deterministic model inside the scope; saves and loads."""
    with strategy.scope():
        keras.utils.set_random_seed(SEED)
        model = build()
        model.compile(**compile_kwargs())
    before = model.get_weights()
    history = _fit(model, x, y)
    path = os.path.join(work_dir, f"{name}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    return {
        "history": history,
        "weights_changed": _common.max_weight_difference(
            before, model.get_weights()
        ),
        "reload_diff": float(
            np.max(
                np.abs(
                    np.asarray(model.predict(x, verbose=0))
                    - np.asarray(loaded.predict(x, verbose=0))
                )
            )
        ),
    }


def _vae_callbacks(strategy, x, labels, work_dir):
    """The three callbacks on a VAE, compared with single-device training."""
    grid_dir = os.path.join(work_dir, "vae_grids")
    latent_dir = os.path.join(work_dir, "vae_latent")
    keras.utils.set_random_seed(SEED)
    reference = _common.vae()
    _common.make_deterministic_vae(reference)
    initial = reference.get_weights()
    reference.compile(**_vae_compile())
    single = _fit(reference, x, None, [callbacks.KLAnnealing(1.0, 2)], 3)
    with strategy.scope():
        keras.utils.set_random_seed(SEED)
        model = _common.vae()
        model.set_weights(initial)
        model.compile(**_vae_compile())
    vae_callbacks = [
        callbacks.KLAnnealing(1.0, 2),
        callbacks.ImageGrid(
            x[:4],
            grid_dir,
            corruption=layers.AdditiveGaussianNoise(0.1, seed=1),
        ),
        callbacks.LatentSpacePlot(x, labels, latent_dir),
    ]
    mirrored = _fit(model, x, None, vae_callbacks, 3)
    return {
        "single": single,
        "mirrored": mirrored,
        "grid_files": sorted(os.listdir(grid_dir)),
        "latent_files": sorted(os.listdir(latent_dir)),
    }


def _autoencoder_callbacks(strategy, x, labels, work_dir):
    """ImageGrid and LatentSpacePlot on an autoencoder with a dense code."""
    grid_dir = os.path.join(work_dir, "ae_grids")
    latent_dir = os.path.join(work_dir, "ae_latent")
    with strategy.scope():
        keras.utils.set_random_seed(SEED)
        model = models.conv_autoencoder(SHAPE, filters=(4, 8), latent_dim=3)
        model.compile(**_adam())
    grid = callbacks.ImageGrid(
        x[:4],
        grid_dir,
        every_n_epochs=2,
        corruption=_all_corruptions(),
        tensorboard_dir=os.path.join(work_dir, "ae_logs"),
    )
    plot = callbacks.LatentSpacePlot(x, labels, latent_dir)
    _fit(model, x, x, [grid, plot], epochs=2)
    return {
        "grid_files": sorted(os.listdir(grid_dir)),
        "latent_files": sorted(os.listdir(latent_dir)),
        "log_files": len(os.listdir(os.path.join(work_dir, "ae_logs"))),
    }


def _dual_callbacks(strategy, x, labels, work_dir):
    """ImageGrid shows the "denoised" output of a dual-output model."""
    from PIL import Image

    dual_dir = os.path.join(work_dir, "dual_grids")
    with strategy.scope():
        keras.utils.set_random_seed(SEED)
        dual = _common.dual_output()
        dual.compile(**_dual_compile())
    grid = callbacks.ImageGrid(x[:3], dual_dir, padding=0)
    _fit(dual, x, {"denoised": x, "label": labels}, [grid], epochs=1)
    picture = np.asarray(
        Image.open(os.path.join(dual_dir, "image_grid_epoch_0001.png"))
    ).astype("float64")
    shown = picture[_common.SIZE :].reshape(_common.SIZE, 3, _common.SIZE)
    denoised = dual.predict(x[:3], verbose=0)["denoised"][..., 0]
    expected = np.round(np.clip(denoised, 0, 1) * 255).transpose(1, 0, 2)
    return {
        "grid_files": sorted(os.listdir(dual_dir)),
        "shown_vs_predicted": float(np.max(np.abs(shown - expected))),
    }


def _plain_dncnn():
    dncnn = models.residual_denoiser(
        channels=1, depth=3, filters=4, batch_norm=False
    )
    return keras.Model(dncnn.input, dncnn.get_layer("noise").output)


def _self_supervised_compile():
    return {"optimizer": keras.optimizers.Adam(1e-2)}


def _self_supervised_grid(strategy, x, work_dir):
    """ImageGrid shows noisy / denoised rows of a self-supervised wrapper."""
    grid_dir = os.path.join(work_dir, "n2n_grids")
    with strategy.scope():
        keras.utils.set_random_seed(SEED)
        wrapper = models.Neighbor2Neighbor(_plain_dncnn(), seed=1)
        wrapper.compile(**_self_supervised_compile())
    grid = callbacks.ImageGrid(x[:3], grid_dir)
    _fit(wrapper, x, None, [grid], epochs=1)
    return {"grid_files": sorted(os.listdir(grid_dir))}


def _guarded(function, *args, **kwargs):
    """Runs one case; a failure is reported, not fatal to the other cases."""
    try:
        return function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - reported to the test.
        traceback.print_exc()
        return {"error": f"{type(error).__name__}: {error}"}


def main(results_path, work_dir):
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    x, labels = _common.data()
    results = {"replicas": strategy.num_replicas_in_sync, "pairs": {}}
    for name, (build, compile_kwargs, y) in _deterministic_cases(
        x, labels
    ).items():
        print(f"case {name}", file=sys.stderr, flush=True)
        prepare = (
            _common.make_deterministic_vae
            if name == "variational_autoencoder"
            else None
        )
        results["pairs"][name] = _guarded(
            _pair, strategy, build, compile_kwargs, x, y, prepare=prepare
        )
    trains = {
        "residual_denoiser_batch_norm": (
            lambda: models.residual_denoiser(channels=1, depth=3, filters=4)
        ),
        "all_corruption_layers": lambda: models.conv_autoencoder(
            SHAPE, filters=(4, 8), corruption=_all_corruptions()
        ),
        "chained_corruption_dense": lambda: models.dense_autoencoder(
            SHAPE,
            hidden_units=(16,),
            latent_dim=4,
            corruption=_chained_corruption(),
        ),
    }
    results["trains"] = {
        name: _guarded(_trains, strategy, build, _adam, x, x, work_dir, name)
        for name, build in trains.items()
    }
    if hasattr(models, "Noise2Void"):
        wrappers = {
            "noise2void": lambda: models.Noise2Void(
                _plain_dncnn(), mask_fraction=0.2, seed=1
            ),
            "neighbor2neighbor": lambda: models.Neighbor2Neighbor(
                _plain_dncnn(), seed=1
            ),
        }
        for name, build in wrappers.items():
            results["trains"][name] = _guarded(
                _trains,
                strategy,
                build,
                _self_supervised_compile,
                x,
                None,
                work_dir,
                name,
            )
    results["callbacks"] = {
        "autoencoder": _guarded(
            _autoencoder_callbacks, strategy, x, labels, work_dir
        ),
        "dual": _guarded(_dual_callbacks, strategy, x, labels, work_dir),
        "self_supervised": _guarded(
            _self_supervised_grid, strategy, x, work_dir
        ),
    }
    if hasattr(models, "variational_autoencoder"):
        results["callbacks"]["vae"] = _guarded(
            _vae_callbacks, strategy, x, labels, work_dir
        )
    results["metrics"] = _metrics_available()
    _common.write_json(results_path, results)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
