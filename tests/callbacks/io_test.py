"""Tests of the callbacks' file helpers (`keras_denoise.callbacks._io`)."""

import json

import pytest

from keras_denoise.callbacks import _io


def _tf_config(task_type, index, chief=False):
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    if chief:
        cluster["chief"] = ["127.0.0.1:3"]
    return json.dumps(
        {"cluster": cluster, "task": {"type": task_type, "index": index}}
    )


@pytest.mark.parametrize(
    "tf_config, expected",
    [
        (None, True),
        ("", True),
        (_tf_config("worker", 0), True),
        (_tf_config("worker", 1), False),
        (_tf_config("worker", 0, chief=True), False),
        (_tf_config("chief", 0, chief=True), True),
        (_tf_config("evaluator", 0), False),
        (_tf_config("ps", 0), False),
    ],
)
def test_is_chief_from_tf_config(monkeypatch, tf_config, expected):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    assert _io.is_chief() is expected
