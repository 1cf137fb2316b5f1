"""Inference: run a trained denoiser on images of any size."""

from keras_denoise.inference.noise_level import ConstantNoiseLevel
from keras_denoise.inference.noise_level import with_noise_level
from keras_denoise.inference.tiled import predict_tiled

__all__ = ["ConstantNoiseLevel", "predict_tiled", "with_noise_level"]
