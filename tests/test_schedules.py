"""Learning-rate schedules: each formula against numbers worked out by hand."""

import numpy as np
import pytest

from lossviz.schedules import (
    LearningRateSchedule,
    constant,
    cosine,
    cyclic,
    exponential,
    inverse_time,
    schedule,
    schedule_names,
    step_decay,
    warmup_cosine,
)

# cos(pi / 4) = 0.7071067811865476, so (1 + cos(pi t / 4)) / 2 for t = 1, 3:
HIGH, LOW = 0.8535533905932737, 0.14644660940672624

# (schedule, expected rates for t = 0, 1, 2, ...), worked out by hand.
HAND_COMPUTED = [
    (constant(0.1), [0.1, 0.1, 0.1, 0.1]),
    (step_decay(1.0, every=2, factor=0.5), [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]),
    (step_decay(0.3, every=1, factor=1.0), [0.3, 0.3, 0.3]),
    (exponential(2.0, gamma=0.5), [2.0, 1.0, 0.5, 0.25, 0.125]),
    (inverse_time(1.0, k=0.5), [1.0, 1 / 1.5, 0.5, 0.4, 1 / 3]),
    (inverse_time(0.2, k=0.0), [0.2, 0.2, 0.2]),
    (cosine(1.0, steps=4), [1.0, HIGH, 0.5, LOW, 0.0, 0.0, 0.0]),
    (cosine(1.0, steps=2, lr_min=0.2), [1.0, 0.6, 0.2, 0.2]),
    (cosine(0.5, steps=1, lr_min=0.5), [0.5, 0.5, 0.5]),
    # Warm-up 0.5, 1.0; then the cosine of steps=4 above, starting again at 1.0 for t = 2.
    (warmup_cosine(1.0, warmup=2, steps=6), [0.5, 1.0, 1.0, HIGH, 0.5, LOW, 0.0, 0.0]),
    (warmup_cosine(1.0, warmup=3, steps=5, lr_min=0.5), [1 / 3, 2 / 3, 1.0, 1.0, 0.75, 0.5, 0.5]),
    (warmup_cosine(1.0, warmup=0, steps=2), [1.0, 0.5, 0.0, 0.0]),
    (cyclic(0.1, 0.5, period=4), [0.1, 0.3, 0.5, 0.3, 0.1, 0.3, 0.5, 0.3, 0.1]),
    (cyclic(0.0, 0.3, period=3), [0.0, 0.2, 0.2, 0.0, 0.2, 0.2, 0.0]),
]
ALL = [lr for lr, _ in HAND_COMPUTED]


@pytest.mark.parametrize(("lr", "expected"), HAND_COMPUTED, ids=repr)
def test_schedule_matches_hand_computed_rates(lr, expected):
    t = np.arange(len(expected))
    np.testing.assert_allclose(lr(t), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("lr", ALL, ids=repr)
def test_int_and_array_steps_give_the_same_rates(lr):
    t = np.arange(12)
    rates = lr(t)
    assert isinstance(rates, np.ndarray) and rates.shape == (12,) and rates.dtype == np.float64
    for i in range(12):
        value = lr(i)
        assert isinstance(value, float)
        assert value == rates[i]
        assert lr(np.int64(i)) == value
    np.testing.assert_array_equal(lr(t.reshape(3, 4)), rates.reshape(3, 4))


def test_warmup_cosine_without_warmup_is_cosine():
    t = np.arange(30)
    np.testing.assert_allclose(
        warmup_cosine(0.1, warmup=0, steps=20, lr_min=0.01)(t),
        cosine(0.1, steps=20, lr_min=0.01)(t),
        rtol=1e-15,
    )


def test_schedules_show_how_they_were_built():
    lr = cosine(0.1, steps=100)
    assert isinstance(lr, LearningRateSchedule)
    assert repr(lr) == lr.__name__ == "cosine(lr=0.1, steps=100, lr_min=0.0)"
    assert lr.params == {"lr": 0.1, "steps": 100, "lr_min": 0.0}
    assert repr(cyclic(0.01, 0.1, period=20)) == "cyclic(lr_min=0.01, lr_max=0.1, period=20)"
    assert repr(step_decay(0.1, 10, 0.5)) == "step_decay(lr=0.1, every=10, factor=0.5)"


@pytest.mark.parametrize("lr", ALL, ids=repr)
def test_schedule_by_name_rebuilds_each_schedule(lr):
    rebuilt = schedule(lr.name, **lr.params)
    assert repr(rebuilt) == repr(lr)
    np.testing.assert_array_equal(rebuilt(np.arange(10)), lr(np.arange(10)))
    assert schedule(lr) is lr


def test_schedule_names():
    assert schedule_names() == [
        "constant",
        "step_decay",
        "exponential",
        "inverse_time",
        "cosine",
        "warmup_cosine",
        "cyclic",
    ]


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("linear", {"lr": 0.1}, "unknown schedule 'linear'; choose one of constant, step_decay"),
        ("cosine", {"lr": 0.1, "steps": 5, "gamma": 0.5}, "no parameter 'gamma'"),
        ("cosine", {"lr": 0.1}, r"schedule 'cosine' needs parameter\(s\) steps"),
    ],
)
def test_schedule_by_name_rejects_unknown_names_and_parameters(name, params, match):
    with pytest.raises(ValueError, match=match):
        schedule(name, **params)


def test_schedule_refuses_parameters_for_a_built_schedule():
    with pytest.raises(ValueError, match="already built"):
        schedule(constant(0.1), lr=0.2)


@pytest.mark.parametrize(
    ("factory", "kwargs", "match"),
    [
        (constant, {"lr": 0.0}, "lr must be a number > 0; got 0.0"),
        (constant, {"lr": -0.1}, "lr must be a number > 0; got -0.1"),
        (constant, {"lr": float("nan")}, "lr must be a finite number > 0"),
        (constant, {"lr": "fast"}, "lr must be a number"),
        (step_decay, {"lr": 0.1, "every": 0, "factor": 0.5}, "every must be an integer >= 1"),
        (step_decay, {"lr": 0.1, "every": 2.5, "factor": 0.5}, "every must be an integer >= 1"),
        (step_decay, {"lr": 0.1, "every": 2, "factor": 0.0}, r"factor must be .* in \(0, 1\]"),
        (step_decay, {"lr": 0.1, "every": 2, "factor": 1.5}, r"factor must be .* in \(0, 1\]"),
        (exponential, {"lr": 0.1, "gamma": 0.0}, r"gamma must be .* in \(0, 1\]"),
        (exponential, {"lr": 0.1, "gamma": 1.01}, r"gamma must be .* in \(0, 1\]"),
        (exponential, {"lr": -1.0, "gamma": 0.9}, "lr must be a number > 0"),
        (inverse_time, {"lr": 0.1, "k": -1.0}, "k must be a number >= 0; got -1.0"),
        (cosine, {"lr": 0.1, "steps": 0}, "steps must be an integer >= 1"),
        (cosine, {"lr": 0.1, "steps": -5}, "steps must be an integer >= 1"),
        (cosine, {"lr": 0.1, "steps": 10, "lr_min": 0.2}, r"lr_min must be a number in \[0, 0.1\]"),
        (cosine, {"lr": 0.1, "steps": 10, "lr_min": -0.01}, r"lr_min must be .* in \[0, 0.1\]"),
        (
            warmup_cosine,
            {"lr": 0.1, "warmup": 10, "steps": 10},
            "warmup must be an integer between 0 and 9; got 10",
        ),
        (
            warmup_cosine,
            {"lr": 0.1, "warmup": -1, "steps": 10},
            "warmup must be an integer between 0 and 9; got -1",
        ),
        (warmup_cosine, {"lr": 0.1, "warmup": 2, "steps": 0}, "steps must be an integer >= 1"),
        (
            warmup_cosine,
            {"lr": 0.1, "warmup": 2, "steps": 9, "lr_min": 1.0},
            r"lr_min must be a number in \[0, 0.1\]; got 1.0",
        ),
        (cyclic, {"lr_min": 0.0, "lr_max": 0.1, "period": 0}, "period must be an integer >= 2"),
        (cyclic, {"lr_min": 0.0, "lr_max": 0.1, "period": -4}, "period must be an integer >= 2"),
        (cyclic, {"lr_min": 0.2, "lr_max": 0.1, "period": 4}, r"lr_min must be a number in \[0"),
        (cyclic, {"lr_min": 0.0, "lr_max": 0.0, "period": 4}, "lr_max must be a number > 0"),
    ],
)
def test_bad_arguments_raise_naming_the_argument_and_range(factory, kwargs, match):
    with pytest.raises(ValueError, match=match):
        factory(**kwargs)
