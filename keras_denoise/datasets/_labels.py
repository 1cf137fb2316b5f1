"""Class labels of an image folder, with the names and meanings of
`keras.utils.image_dataset_from_directory`'s `labels`, `label_mode` and
`class_names`."""

import numbers
import os

from keras_denoise.datasets.image_files import list_image_files

LABEL_MODES = ("int", "categorical", "binary")


def check_label_arguments(labels, label_mode, class_names):
    """Validates `labels`, `label_mode` and `class_names`."""
    if labels is None or isinstance(labels, str):
        if labels not in (None, "inferred"):
            raise ValueError(
                '`labels` must be None, "inferred" or a list of integer '
                f"labels. Received: labels={labels!r}"
            )
    elif not isinstance(labels, (list, tuple)) or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool)
        for v in labels
    ):
        raise ValueError(
            '`labels` must be None, "inferred" or a list of integer labels. '
            f"Received: labels={labels!r}"
        )
    if label_mode is not None and label_mode not in LABEL_MODES:
        raise ValueError(
            f"`label_mode` must be one of {LABEL_MODES} or None. "
            f"Received: label_mode={label_mode!r}"
        )
    if class_names is not None:
        if labels != "inferred":
            raise ValueError(
                '`class_names` needs `labels="inferred"`. '
                f"Received: class_names={class_names!r}, labels={labels!r}"
            )
        if isinstance(class_names, str) or not all(
            isinstance(n, str) for n in class_names
        ):
            raise TypeError(
                "`class_names` must be a list of sub-folder names. "
                f"Received: class_names={class_names!r}"
            )


def labelled_files(directory, labels, class_names, recursive):
    """`(paths, label_of, class_names)` of a folder.

    With `labels="inferred"` each sub-folder is a class (sorted names, or
    the order of `class_names`) and its images, sub-folders included, are
    that class's; images at the top level are left out, as Keras does.
    With a list, `labels[i]` is the label of the i-th file in sorted
    order. `label_of` maps each path to its integer label.
    """
    if labels != "inferred":
        paths = list_image_files(directory, recursive=recursive)
        if len(labels) != len(paths):
            raise ValueError(
                f"`labels` has {len(labels)} values for {len(paths)} image "
                f"files in {directory!r}; give one label per file, in the "
                "sorted order of the file paths."
            )
        return paths, dict(zip(paths, labels, strict=True)), None
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"No such directory: {directory!r}")
    found = sorted(
        name
        for name in os.listdir(directory)
        if os.path.isdir(os.path.join(directory, name))
    )
    if class_names is None:
        class_names = found
    else:
        class_names = list(class_names)
        unknown = sorted(set(class_names) - set(found))
        if unknown or len(set(class_names)) != len(class_names):
            raise ValueError(
                "`class_names` must name distinct sub-folders of "
                f"{directory!r} (found {found}). "
                f"Received: class_names={class_names!r}"
            )
    if not class_names:
        raise ValueError(
            f'`labels="inferred"` needs one sub-folder per class in '
            f"{directory!r}; it has none."
        )
    paths, label_of = [], {}
    for index, name in enumerate(class_names):
        try:
            files = list_image_files(
                os.path.join(directory, name), recursive=True
            )
        except ValueError:
            files = []  # an empty class, as Keras allows
        paths.extend(files)
        label_of.update((p, index) for p in files)
    if not paths:
        raise ValueError(
            f"No image files in the class sub-folders of {directory!r}: "
            f"{class_names}"
        )
    return sorted(paths), label_of, class_names


def check_label_mode(label_mode, labels, num_classes):
    """`binary` needs exactly two classes."""
    if label_mode == "binary" and num_classes != 2:
        raise ValueError(
            '`label_mode="binary"` needs exactly 2 classes; found '
            f"{num_classes}. Received: labels={labels!r}"
        )


def encode(tf, label, label_mode, num_classes):
    """One label as `label_mode` gives it: int32, one-hot or `(1,)`
    float32."""
    if label_mode == "categorical":
        return tf.one_hot(label, num_classes)
    if label_mode == "binary":
        return tf.cast(tf.reshape(label, (1,)), tf.float32)
    return tf.cast(label, tf.int32)
