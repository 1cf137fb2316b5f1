"""Image grids (Pillow) and charts (matplotlib): latent-space scatter,
training history, figures per corruption."""

from keras_denoise.visualization.charts import corruption_chart
from keras_denoise.visualization.charts import history_plot
from keras_denoise.visualization.charts import latent_scatter
from keras_denoise.visualization.plots import comparison_grid
from keras_denoise.visualization.plots import image_grid
from keras_denoise.visualization.plots import project_2d

__all__ = [
    "comparison_grid",
    "corruption_chart",
    "history_plot",
    "image_grid",
    "latent_scatter",
    "project_2d",
]
