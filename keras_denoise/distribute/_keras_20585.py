"""`Model.fit` under `MultiWorkerMirroredStrategy`: keras-team/keras#20585.

Delete this module once `tests/distribute/multi_worker_test.py::
test_plain_strategy_still_fails_upstream` fails: that test runs `fit`
under TensorFlow's own strategy across two processes and expects the
upstream error.

Root cause: Keras calls `tf.distribute.Strategy.reduce` outside its
documented contract (one `DistributedValues`, an `axis` within its rank),
which `MirroredStrategy` tolerates and the collective implementation
behind `MultiWorkerMirroredStrategy` does not once there are two workers:

1. Before the first step, `_maybe_symbolic_build`
   (`keras/src/backend/tensorflow/trainer.py`) takes the first distributed
   batch, a tuple such as `(x, y)` of `PerReplica` values, and calls
   `strategy.reduce("MEAN", batch, axis=None)` on the whole tuple.
   `MirroredStrategy` (and this strategy with a single worker) maps over a
   nest; with two workers `CollectiveAllReduceExtended._reduce_to` hands
   the tuple to its cross-device ops, which fail with "Attempt to convert
   a value (PerReplica:{...}) ... to a Tensor". Building the model before
   `fit` does not help: the reduction runs whether or not anything is left
   to build.
2. After each step, `reduce_per_replica(..., reduction="mean")` reduces the
   step's logs, scalars, with `strategy.reduce("MEAN", value, axis=0)`
   when the strategy is multi-worker (tensorflow/tensorflow#72388:
   "Invalid reduction dimension 0 for input with 0 dimensions"); on one
   worker it takes the mean of the replicas' scalars instead.

The fix is the narrowest one through public API: a
`tf.distribute.MultiWorkerMirroredStrategy` whose public `reduce` maps
over a nest one `DistributedValues` at a time (as `MirroredStrategy`
does) and reduces a scalar asked for `axis=0` across the replicas only
(as Keras does on one worker). Every other call goes to the strategy
unchanged.
"""

import tensorflow as tf


class NestedReduceMultiWorkerMirroredStrategy(
    tf.distribute.MultiWorkerMirroredStrategy
):
    """`MultiWorkerMirroredStrategy` whose `reduce` takes what Keras sends."""

    def reduce(self, reduce_op, value, axis=None):
        parent = super()
        if tf.nest.is_nested(value):
            return tf.nest.map_structure(
                lambda leaf: self.reduce(reduce_op, leaf, axis), value
            )
        if axis is not None and _rank(self, value) == 0:
            axis = None
        return parent.reduce(reduce_op, value, axis)


def _rank(strategy, value):
    """Static rank of one replica's part of `value`, or `None`."""
    local = strategy.experimental_local_results(value)[0]
    shape = getattr(local, "shape", None)
    return None if shape is None else shape.rank
