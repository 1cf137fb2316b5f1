"""Inference: run a trained denoiser on images of any size."""

from keras_denoise.inference.tiled import predict_tiled

__all__ = ["predict_tiled"]
