"""Per-corruption evaluation of denoisers: PSNR, SSIM and MSE reports."""

from keras_denoise.evaluation.corruption_report import CorruptionReport
from keras_denoise.evaluation.evaluate import default_corruptions
from keras_denoise.evaluation.evaluate import denoised_output
from keras_denoise.evaluation.evaluate import evaluate_corruptions
from keras_denoise.evaluation.evaluate import image_metrics
from keras_denoise.evaluation.evaluate import predict_images

__all__ = [
    "CorruptionReport",
    "default_corruptions",
    "denoised_output",
    "evaluate_corruptions",
    "image_metrics",
    "predict_images",
]
