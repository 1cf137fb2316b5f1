"""Training under `tf.distribute.MirroredStrategy` on two logical CPUs.

TensorFlow must split the CPU before it initialises, and this test process
has initialised it already, so `mirrored_script.py` runs every case in one
fresh process and reports JSON; the tests below check that report.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 480


def _clean_env():
    env = dict(os.environ)
    env.pop("TF_CONFIG", None)
    env["KERAS_BACKEND"] = "tensorflow"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("mirrored")
    results = work_dir / "results.json"
    completed = subprocess.run(
        [
            sys.executable,
            os.path.join(HERE, "mirrored_script.py"),
            str(results),
            str(work_dir),
        ],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(results.read_text())


def _check_pair(pair):
    assert "error" not in pair, pair.get("error")
    assert pair["replicas"] == 2
    assert pair["variables_mirrored"]
    single, mirrored = pair["single"], pair["mirrored"]
    assert sorted(single) == sorted(mirrored)
    assert "loss" in single
    for name in single:
        np.testing.assert_allclose(
            mirrored[name], single[name], rtol=1e-3, atol=1e-6, err_msg=name
        )
    # Training moved the weights; the two runs end apart by float rounding
    # only (Adam turns rounding differences of tiny gradients into steps).
    assert pair["weight_moved"] > 1e-3
    assert pair["weight_diff"] <= 1e-2 * pair["weight_moved"]


DETERMINISTIC = [
    "conv_autoencoder",
    "conv_autoencoder_dense_latent",
    "dense_autoencoder",
    "residual_denoiser",
    "backbone_autoencoder",
    "cnn_classifier",
    "latent_classifier",
    "denoise_classifier",
    "inception_denoise_classifier",
    "noise2void_all_pixels",
]


def test_two_replicas(report):
    assert report["replicas"] == 2


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_builder_losses_equal_single_device(report, name):
    _check_pair(report["pairs"][name])


def test_image_metrics_aggregate_across_replicas(report):
    assert report["metrics"], "keras_denoise.metrics.PSNR/SSIM missing"
    pair = report["pairs"]["conv_autoencoder"]
    assert {"psnr", "ssim"} <= set(pair["mirrored"])
    _check_pair(pair)


def test_dual_output_losses_per_output(report):
    pair = report["pairs"]["denoise_classifier"]
    assert {"denoised_loss", "label_loss"} <= set(pair["mirrored"])
    _check_pair(pair)


def test_vae_loss_terms_equal_single_device(report):
    pair = report["pairs"]["variational_autoencoder"]
    _check_pair(pair)
    for epoch in range(2):
        terms = pair["mirrored"]
        np.testing.assert_allclose(
            terms["loss"][epoch],
            terms["reconstruction_loss"][epoch] + terms["kl_loss"][epoch],
            rtol=1e-5,
        )


@pytest.mark.parametrize(
    "name",
    [
        "residual_denoiser_batch_norm",
        "all_corruption_layers",
        "chained_corruption_dense",
        "noise2void",
        "neighbor2neighbor",
    ],
)
def test_random_and_batch_norm_models_train(report, name):
    result = report["trains"][name]
    assert "error" not in result, result.get("error")
    assert np.all(np.isfinite(result["history"]["loss"]))
    assert result["weights_changed"] > 1e-3
    if name.endswith("batch_norm"):
        # Keras's moving statistics are variables with aggregation "none":
        # under MirroredStrategy an update in replica context changes only
        # that replica's copy, so the replicas' statistics drift apart.
        # The saved model holds replica 0's copy (a cross-replica read of
        # a mirrored variable gives the primary), while `predict` under
        # the strategy normalises replica 1's half of each batch with
        # replica 1's copy: the predictions differ slightly.
        assert result["reload_diff"] < 1e-3
    elif name in ("noise2void", "neighbor2neighbor"):
        # The wrapper's `predict` under the strategy runs the convolutions
        # on half batches; the loaded one on whole batches: rounding only.
        assert result["reload_diff"] < 1e-6
    else:
        assert result["reload_diff"] == 0.0


def test_image_grid_and_latent_plot(report):
    result = report["callbacks"]["autoencoder"]
    assert "error" not in result, result.get("error")
    assert result["grid_files"] == ["image_grid_epoch_0002.png"]
    assert result["latent_files"] == [
        "latent_space_epoch_0001.png",
        "latent_space_epoch_0002.png",
    ]
    assert result["log_files"] == 1


def test_image_grid_shows_denoised_output(report):
    result = report["callbacks"]["dual"]
    assert "error" not in result, result.get("error")
    assert result["grid_files"] == ["image_grid_epoch_0001.png"]
    assert result["shown_vs_predicted"] <= 1.0


def test_vae_callbacks(report):
    result = report["callbacks"]["vae"]
    assert "error" not in result, result.get("error")
    single, mirrored = result["single"], result["mirrored"]
    assert mirrored["kl_weight"] == [0.0, 0.5, 1.0]
    for name in ("loss", "reconstruction_loss", "kl_loss"):
        np.testing.assert_allclose(mirrored[name], single[name], rtol=1e-3)
    np.testing.assert_allclose(
        mirrored["loss"],
        np.array(mirrored["reconstruction_loss"])
        + np.array(mirrored["kl_weight"]) * np.array(mirrored["kl_loss"]),
        rtol=1e-5,
    )
    assert result["grid_files"] == [
        f"image_grid_epoch_{epoch:04d}.png" for epoch in (1, 2, 3)
    ]
    assert len(result["latent_files"]) == 3


def test_image_grid_on_a_self_supervised_wrapper(report):
    result = report["callbacks"]["self_supervised"]
    assert "error" not in result, result.get("error")
    assert result["grid_files"] == ["image_grid_epoch_0001.png"]
