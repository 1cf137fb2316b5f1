"""A training process for the kill-and-resume test of `BackupAndRestore`.

Usage: `python backup_script.py WORK_DIR [default|mirrored|multi CLUSTER I]`.

Trains a small VAE with `KLAnnealing` and `keras.callbacks.BackupAndRestore`
(a backup at the end of every epoch), with the default strategy or, with
`mirrored`, built and compiled inside a `tf.distribute.MirroredStrategy`
scope on two logical CPU devices, or, with `multi`, as worker I of a
two-process job (`keras_denoise.distribute.setup_worker`, one backup
directory per worker, an `ImageGrid` written by the chief under
`WORK_DIR/grids`). A progress callback reports, after
every batch, the epoch and batch reached and how many epochs are backed up
(`WORK_DIR/progress.json`), saves the weights at the end of each epoch
(`epoch_N.npz`, N 0-based) and, at the start of training, the weights the
run starts from (`start_PID.npz`) and its first epoch (`starts.jsonl`).
`kill_resume_test.py` kills the first run with SIGKILL mid-epoch and runs
this script again, which must resume from the backup. A finished run saves
`final.keras` and `done.json`.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402

STRATEGIES = ("default", "mirrored", "multi")
STRATEGY = sys.argv[2] if len(sys.argv) > 2 else "default"
if STRATEGY not in STRATEGIES:
    raise SystemExit(f"strategy must be one of {STRATEGIES}: {STRATEGY!r}")

tf = _common.configure(logical_cpus=2 if STRATEGY == "mirrored" else 1)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_denoise import callbacks  # noqa: E402

EPOCHS, BATCH, SAMPLES = 6, 4, 128


def _save_npz(path, weights):
    temp = f"{path}.tmp.npz"
    np.savez(temp, *weights)
    os.replace(temp, path)


class Progress(keras.callbacks.Callback):
    def __init__(self, work_dir):
        super().__init__()
        self.work_dir = work_dir
        self.completed = None
        self.epoch = None

    def on_train_begin(self, logs=None):
        # Runs after BackupAndRestore has restored the backup, if any.
        pid = os.getpid()
        _save_npz(
            os.path.join(self.work_dir, f"start_{pid}.npz"),
            self.model.get_weights(),
        )

    def on_epoch_begin(self, epoch, logs=None):
        if self.completed is None:
            self.completed = epoch
            start = {
                "pid": os.getpid(),
                "epoch": epoch,
                "replicas": self.model.distribute_strategy.num_replicas_in_sync,
            }
            with open(os.path.join(self.work_dir, "starts.jsonl"), "a") as f:
                f.write(json.dumps(start) + "\n")
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        _common.write_json(
            os.path.join(self.work_dir, "progress.json"),
            {"epoch": self.epoch, "batch": batch, "completed": self.completed},
        )

    def on_epoch_end(self, epoch, logs=None):
        # BackupAndRestore comes first in the list: its backup of this epoch
        # is on disk now.
        _save_npz(
            os.path.join(self.work_dir, f"epoch_{epoch}.npz"),
            self.model.get_weights(),
        )
        self.completed = epoch + 1


def main(work_dir):
    os.makedirs(work_dir, exist_ok=True)
    x, _ = _common.data(SAMPLES)
    extra = []
    if STRATEGY == "mirrored":
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    elif STRATEGY == "multi":
        from keras_denoise import distribute

        strategy = distribute.setup_worker(
            sys.argv[3], int(sys.argv[4]), timeout=60
        )
        extra = [callbacks.ImageGrid(x[:4], os.path.join(work_dir, "grids"))]
    else:
        strategy = tf.distribute.get_strategy()
    with strategy.scope():
        keras.utils.set_random_seed(_common.SEED)
        model = _common.vae()
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(
        x,
        batch_size=BATCH,
        epochs=EPOCHS,
        shuffle=False,
        verbose=0,
        callbacks=[
            keras.callbacks.BackupAndRestore(
                os.path.join(work_dir, "backup"), save_freq="epoch"
            ),
            callbacks.KLAnnealing(1.0, 4),
            Progress(work_dir),
            *extra,
        ],
    )
    model.save(os.path.join(work_dir, "final.keras"))
    _common.write_json(
        os.path.join(work_dir, "done.json"),
        {
            "history": {
                k: [float(v) for v in vs] for k, vs in history.history.items()
            },
            "steps_per_epoch": SAMPLES // BATCH,
            "strategy": STRATEGY,
            "replicas": strategy.num_replicas_in_sync,
        },
    )


if __name__ == "__main__":
    main(sys.argv[1])
