"""`setup_worker`'s argument checks, before it joins any job."""

import pytest

from keras_denoise.distribute import setup_worker


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"cluster": 12345, "task_index": 0}, TypeError, "`cluster`"),
        ({"cluster": ["a:1", 2], "task_index": 0}, TypeError, "`cluster`"),
        ({"cluster": [], "task_index": 0}, ValueError, "must not be empty"),
        ({"cluster": "a:1,b", "task_index": 0}, ValueError, "'b'"),
        ({"cluster": "a:1,b:70000", "task_index": 0}, ValueError, "1-65535"),
        ({"cluster": "a:1,a:1", "task_index": 0}, ValueError, "twice"),
        ({"cluster": "a:1,b:2", "task_index": 2}, ValueError, "[0, 1]"),
        ({"cluster": "a:1,b:2", "task_index": -1}, ValueError, "[0, 1]"),
        ({"cluster": "a:1,b:2", "task_index": "0"}, TypeError, "task_index"),
        ({"cluster": "a:1,b:2", "task_index": True}, TypeError, "task_index"),
        ({"cluster": "a:1,b:2"}, TypeError, "task_index=None"),
        ({"task_index": 1}, ValueError, "needs a `cluster`"),
        (
            {"cluster": "a:1", "task_index": 0, "timeout": 0},
            ValueError,
            "timeout=0",
        ),
        (
            {"cluster": "a:1", "task_index": 0, "timeout": "5"},
            TypeError,
            "`timeout`",
        ),
    ],
)
def test_bad_arguments_are_refused_before_any_work(kwargs, error, message):
    with pytest.raises(error, match=None) as info:
        setup_worker(**kwargs)
    assert message in str(info.value)
