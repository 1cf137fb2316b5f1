"""The command line's tuning of its own `tf.data` training pipeline.

The library's datasets keep tf.data's defaults; only `keras-denoise train`
switches the autotuning thread off, for the reason given in `tune`.
"""


def tune(dataset):
    """Switches tf.data's autotuning thread off for a training dataset.

    `fit` makes a new iterator every epoch, and destroying the old one waits
    for the autotuning thread's optimisation round to end: with TensorFlow
    2.21 on a small CPU that stalled every epoch after the first of the
    default `train` job, with no throughput gained from the thread (the
    timing is in docs/benchmarks.md). `num_parallel_calls=AUTOTUNE` and
    `prefetch(AUTOTUNE)` keep working without the thread: tf.data then maps
    on as many threads as there are cores and sizes the prefetch buffer
    itself. Options apply to the whole pipeline, so this is applied once,
    to the dataset that `fit` receives.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def finish(dataset):
    """Prefetches a pipeline the command line built itself, then `tune`s it."""
    import tensorflow as tf

    return tune(dataset.prefetch(tf.data.AUTOTUNE))
