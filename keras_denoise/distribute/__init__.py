"""Training across processes and machines with plain `fit`.

`setup_worker` joins this process to a multi-worker job the way the active
backend does it (`tf.distribute.MultiWorkerMirroredStrategy` on
TensorFlow, `keras.distribution.DataParallel` over every process's devices
on JAX) and returns the object to build, compile and `fit` under. The
package's callbacks write their files from the chief (worker 0) only.
"""

from keras_denoise.distribute.setup_worker import setup_worker

__all__ = ["setup_worker"]
