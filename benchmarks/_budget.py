"""A training budget in seconds, shared by the benchmarks that compare
methods at equal training time."""

import math
import time

import keras


class TimeBudget(keras.callbacks.Callback):
    """Stops training after `seconds` and decays the learning rate from
    `peak` over that time with a cosine (to `alpha` of the peak), as
    `keras-denoise train` does over its steps: a budget in seconds has no
    step count to decay over. `steps` counts the steps taken."""

    def __init__(self, seconds, peak, alpha=0.05):
        super().__init__()
        self.seconds = seconds
        self.peak = peak
        self.alpha = alpha

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.steps = 0

    def on_train_batch_begin(self, batch, logs=None):
        done = min(1.0, (time.perf_counter() - self.start) / self.seconds)
        cosine = 0.5 * (1.0 + math.cos(math.pi * done))
        self.model.optimizer.learning_rate.assign(
            self.peak * (self.alpha + (1.0 - self.alpha) * cosine)
        )

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.perf_counter() - self.start > self.seconds:
            self.model.stop_training = True
