"""JAX data parallelism: `keras.distribution.DataParallel` on two CPUs.

JAX splits the host CPU into devices only when `XLA_FLAGS` is set before it
starts, so `jax_data_parallel_script.py` trains in a fresh process with
`KERAS_BACKEND=jax` and reports JSON; the tests below check the report.
Data-parallel training must match single-device training from the same
weights on the same batches (the gradient is the mean over the global
batch either way).
"""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("jax") is None,
        reason="JAX is not installed (pip install -e '.[backends]')",
    ),
]

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 480


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    results = tmp_path_factory.mktemp("jax_dp") / "results.json"
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "jax"
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    completed = subprocess.run(
        [
            sys.executable,
            os.path.join(HERE, "jax_data_parallel_script.py"),
            str(results),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(results.read_text())


def _check(run, keys):
    single, parallel = run["single"], run["parallel"]
    assert sorted(single["history"]) == sorted(keys)
    # Variables replicated on both devices, each batch split in halves.
    assert single["kernel_devices"] == 1
    assert parallel["kernel_devices"] == 2
    assert parallel["batch_shard_sizes"] == [16, 16]
    for key in keys:
        assert np.all(np.isfinite(parallel["history"][key]))
        np.testing.assert_allclose(
            parallel["history"][key],
            single["history"][key],
            rtol=1e-4,
            err_msg=key,
        )
    for a, b in zip(single["weights"], parallel["weights"], strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
    assert parallel["history"]["loss"][-1] < parallel["history"]["loss"][0]


def test_two_devices(report):
    assert report["jax_devices"] == 2
    assert report["devices"] == 2


def test_conv_autoencoder(report):
    _check(report["conv_autoencoder"], ["loss"])


def test_variational_autoencoder(report):
    run = report["variational_autoencoder"]
    _check(run, ["loss", "reconstruction_loss", "kl_loss"])
    parallel = run["parallel"]
    history = parallel["history"]
    np.testing.assert_allclose(
        history["loss"],
        np.add(
            history["reconstruction_loss"], 0.5 * np.array(history["kl_loss"])
        ),
        rtol=1e-5,
    )
    # The per-batch logs carry the loss terms too (VariationalModel).
    for logs in parallel["batch_logs"]:
        assert np.isfinite(logs["kl_loss"]) and logs["kl_loss"] > 0.0
        np.testing.assert_allclose(
            logs["loss"],
            logs["reconstruction_loss"] + 0.5 * logs["kl_loss"],
            rtol=1e-5,
        )
