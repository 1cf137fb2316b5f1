"""Scaling: MirroredStrategy on two logical CPU devices against one device.

The CPU section runs in a subprocess that splits the CPU into two logical
devices before TensorFlow starts (they cannot be configured afterwards),
then times `fit` steps of a `conv_autoencoder` with the same global batch
under `MirroredStrategy(["/cpu:0", "/cpu:1"])` and without a strategy,
interleaved. Both logical devices share the same physical cores, so this
measures the cost of the replication machinery, not a speed-up. The GPU
section runs the same comparison with `MirroredStrategy` over every GPU
against one GPU when TensorFlow sees a GPU, and is skipped otherwise: a
GPU needs a CUDA build of TensorFlow (`pip install "tensorflow[and-cuda]"`
on Linux; the plain `tensorflow` wheel that `pip install -e ".[test]"`
brings runs on the CPU only).

The multi-worker section times `fit` of the same model with the same
global batch in two worker processes on 127.0.0.1
(`keras_denoise.distribute.setup_worker`, `MultiWorkerMirroredStrategy`)
against one process alone, and reports the throughput ratio (global
samples per second, 2 workers / 1 worker). On one machine the workers
share its cores, so the ratio records the cost of the cross-process
collectives; on two machines each worker would bring its own.

    python benchmarks/scaling.py [--quick] [--output PATH]
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import json  # noqa: E402
import subprocess  # noqa: E402


def worker(kind, quick, repeats):
    """Runs in a fresh process; prints one JSON line of results."""
    import tensorflow as tf

    if kind == "cpu":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
        tf.config.set_visible_devices([], "GPU")
    import keras
    import numpy as np
    from training_cost import StepTimer

    import keras_denoise

    if kind == "cpu":
        devices = ["/cpu:0", "/cpu:1"]
        single = "/cpu:0"
        shape, batch = (28, 28, 1), 128
    else:
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus]
        single = gpus[0].name
        shape, batch = (128, 128, 3), 64
    steps = 4 if quick else 30
    images = np.random.default_rng(0).random((batch * 4, *shape), "float32")
    dataset = (
        tf.data.Dataset.from_tensor_slices((images, images))
        .batch(batch, drop_remainder=True)
        .repeat()
    )

    def build():
        model = keras_denoise.models.conv_autoencoder(
            shape,
            corruption=keras_denoise.layers.AdditiveGaussianNoise(0.1, seed=0),
        )
        model.compile("adam", "mse")
        return model

    keras.utils.set_random_seed(0)
    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        mirrored = build()
    with tf.device(single):
        plain = build()
    distributed = strategy.experimental_distribute_dataset(dataset)
    timer = StepTimer()

    def run(model, data):
        model.fit(
            data, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer]
        )
        return timer.step_time()

    candidates = {
        f"one device ({single})": lambda: run(plain, dataset),
        f"MirroredStrategy x{len(devices)}": lambda: run(mirrored, distributed),
    }
    for fn in candidates.values():
        fn()
    times = {name: [] for name in candidates}
    import _common

    for order in _common.rotations(list(candidates), repeats):
        for name in order:
            times[name].append(candidates[name]())
    print(
        json.dumps(
            {
                "shape": list(shape),
                "global_batch": batch,
                "steps": steps,
                "replicas": len(devices),
                "times": times,
            }
        )
    )


def multi_worker(cluster, task_index, quick):
    """One process of the multi-worker section; prints its step time."""
    import keras
    import numpy as np
    import tensorflow as tf
    from training_cost import StepTimer

    import keras_denoise

    strategy = None
    if cluster:
        strategy = keras_denoise.distribute.setup_worker(
            cluster, int(task_index), timeout=300
        )
    shape, batch = (28, 28, 1), 128
    steps = 4 if quick else 30
    images = np.random.default_rng(0).random((batch * 4, *shape), "float32")
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    dataset = (
        tf.data.Dataset.from_tensor_slices((images, images))
        .batch(batch, drop_remainder=True)
        .repeat()
        .with_options(options)
    )
    scope = (
        strategy.scope() if strategy else tf.distribute.get_strategy().scope()
    )
    with scope:
        keras.utils.set_random_seed(0)
        model = keras_denoise.models.conv_autoencoder(shape)
        model.compile("adam", "mse")
        timer = StepTimer()
        model.fit(
            dataset,
            epochs=2,
            steps_per_epoch=steps,
            verbose=0,
            callbacks=[timer],
        )
    print(json.dumps({"step": timer.step_time(), "global_batch": batch}))


def run_multi_worker(quick):
    """Step times of 1 process, then of 2 worker processes on 127.0.0.1."""
    import socket

    sockets = [socket.socket() for _ in range(2)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    cluster = ",".join(f"127.0.0.1:{s.getsockname()[1]}" for s in sockets)
    for sock in sockets:
        sock.close()
    base = [sys.executable, os.path.abspath(__file__), "--worker", "mw"]
    base += ["--quick"] if quick else []
    env = dict(os.environ)
    env.pop("TF_CONFIG", None)

    def launch(extra):
        return subprocess.Popen(
            base + extra, stdout=subprocess.PIPE, text=True, env=env
        )

    def collect(processes):
        try:
            outputs = [p.communicate(timeout=900)[0] for p in processes]
        finally:
            for p in processes:
                if p.poll() is None:
                    p.kill()
        if any(p.returncode for p in processes):
            raise RuntimeError("multi-worker benchmark process failed")
        return [json.loads(o.strip().splitlines()[-1]) for o in outputs]

    (single,) = collect([launch([])])
    workers = collect(
        [launch(["--cluster", cluster, "--task-index", str(i)]) for i in (0, 1)]
    )
    return single, workers


def run_worker(kind, quick, repeats):
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        kind,
        "--repeats",
        str(repeats),
    ] + (["--quick"] if quick else [])
    result = subprocess.run(
        command, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-4000:])
        raise RuntimeError(f"{kind} worker failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    import _common

    def extra(parser):
        parser.add_argument(
            "--worker", choices=["cpu", "gpu", "mw"], help=argparse_hidden
        )
        parser.add_argument("--cluster", help=argparse_hidden)
        parser.add_argument("--task-index", help=argparse_hidden)

    argparse_hidden = "internal: run one section in this process"
    args = _common.parse_args(
        __doc__.splitlines()[0], "benchmarks/results/scaling.json", extra
    )
    repeats = args.repeats or (1 if args.quick else 7)
    if args.worker == "mw":
        multi_worker(args.cluster, args.task_index, args.quick)
        return
    if args.worker:
        worker(args.worker, args.quick, repeats)
        return
    report = _common.Report("scaling", args)
    sections = [("cpu", "two logical CPU devices")]
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        sections.append(("gpu", "GPUs"))
    else:
        report.note(
            "GPU section skipped: TensorFlow sees no GPU (a GPU needs a "
            'CUDA build of TensorFlow: pip install "tensorflow[and-cuda]").'
        )
    for kind, label in sections:
        data = run_worker(kind, args.quick, repeats)
        rows = []
        names = list(data["times"])
        base = _common.median(data["times"][names[0]])
        for name in names:
            t = _common.median(data["times"][name])
            rows.append(
                [
                    name,
                    data["global_batch"],
                    t * 1e3,
                    base / t,
                    _common.spread(data["times"][name]),
                ]
            )
        report.table(
            f"{label}: conv_autoencoder {tuple(data['shape'])}, global batch "
            f"{data['global_batch']}, median step over {repeats} interleaved "
            f"fits of {data['steps']} steps",
            [
                "setup",
                "global batch",
                "ms/step",
                "speed-up vs one device",
                "± (IQR/2)",
            ],
            rows,
        )
    single, workers = run_multi_worker(args.quick)
    batch = single["global_batch"]
    one = batch / single["step"]
    two = batch / max(w["step"] for w in workers)
    report.table(
        f"two worker processes on 127.0.0.1 (MultiWorkerMirroredStrategy, "
        f"fit) vs one process: conv_autoencoder (28, 28, 1), global batch "
        f"{batch}, median step",
        ["setup", "global batch", "ms/step", "samples/s", "ratio vs 1"],
        [
            ["1 process", batch, single["step"] * 1e3, one, 1.0],
            [
                "2 workers",
                batch,
                max(w["step"] for w in workers) * 1e3,
                two,
                two / one,
            ],
        ],
    )
    report.write()


if __name__ == "__main__":
    main()
