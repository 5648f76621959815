"""`lossviz._registry.Registry`, and the three registries built on it (surfaces,
optimizers, schedules) behaving alike."""

import pytest

import lossviz
from lossviz import optimizers, schedules, surfaces
from lossviz._registry import Registry
from lossviz.optimizers.base import _OPTIMIZERS
from lossviz.schedules import _SCHEDULES
from lossviz.surfaces.base import _SURFACES


# -- the class --------------------------------------------------------------------------------
@pytest.fixture
def shapes():
    shapes = Registry("shape")

    @shapes.register
    def square(side: float = 1.0) -> float:
        return side * side

    @shapes.register("disc")
    def round_shape(radius: float) -> float:
        return 3.0 * radius * radius

    @shapes.register()
    def anything(**sizes: float) -> float:
        return sum(sizes.values())

    return shapes


def test_register_bare_with_a_name_or_with_empty_parentheses(shapes):
    assert shapes.names() == ["square", "disc", "anything"]
    assert "disc" in shapes and "round_shape" not in shapes
    assert shapes.build("square", side=2.0) == 4.0
    assert shapes.build("disc", radius=1.0) == 3.0
    assert shapes.build("anything", a=1.0, b=2.0) == 3.0  # **sizes takes any argument


def test_register_returns_the_factory_unchanged():
    registry = Registry("shape")

    def square(side=1.0):
        return side * side

    assert registry.register(square) is square
    assert registry.register("box")(square) is square
    assert registry.names() == ["square", "box"]


def test_a_name_is_registered_once(shapes):
    with pytest.raises(ValueError, match="^a shape named 'square' is already registered$"):
        shapes.register("square")(lambda: 0.0)
    assert shapes.build("square") == 1.0  # the first one stays


def test_unknown_names_list_the_known_ones(shapes):
    for name in ("triangle", 3, None, ["square"]):
        with pytest.raises(ValueError) as info:
            shapes.build(name)
        assert str(info.value) == f"unknown shape {name!r}; choose one of square, disc, anything"


def test_unknown_and_missing_arguments_name_the_allowed_ones(shapes):
    with pytest.raises(ValueError) as info:
        shapes.build("square", side=1.0, colour="red", size=2)
    message = "shape 'square' has no parameter 'colour', 'size'; its parameters are: side"
    assert str(info.value) == message
    with pytest.raises(ValueError) as info:
        shapes.build("disc")
    assert str(info.value) == "shape 'disc' needs parameter(s) radius; its parameters are: radius"


def test_a_built_thing_is_returned_as_it_is():
    registry = Registry("number", argument="digit", built=float)
    registry.register("one")(lambda: 1.0)
    assert registry.build(2.5) == 2.5
    with pytest.raises(ValueError, match="^digits cannot be applied to an already built number$"):
        registry.build(2.5, x=1)


def test_bad_registrations_are_refused():
    registry = Registry("shape")
    with pytest.raises(ValueError, match="shape name must be a non-empty string"):
        registry.register("")(lambda: 0.0)
    with pytest.raises(TypeError, match="shape factory must be callable"):
        registry.register("square")(3)
    assert registry.names() == []


def test_the_factory_checks_its_own_values(shapes):
    def negative(side: float = 1.0) -> float:
        raise ValueError(f"side must be a number > 0; got {side!r}")

    shapes.register("bad")(negative)
    with pytest.raises(ValueError, match="^side must be"):
        shapes.build("bad", side=-1.0)


# -- the three kinds behave the same ----------------------------------------------------------
KINDS = {
    "surface": (_SURFACES, surfaces.register, lossviz.surface, lossviz.surface_names, "parameter"),
    "optimizer": (
        _OPTIMIZERS,
        optimizers.register,
        lossviz.optimizer,
        lossviz.optimizer_names,
        "hyperparameter",
    ),
    "schedule": (
        _SCHEDULES,
        schedules.register,
        lossviz.schedule,
        lossviz.schedule_names,
        "parameter",
    ),
}


@pytest.fixture(params=KINDS, ids=KINDS)
def kind(request, monkeypatch):
    """One kind, with a factory ``needy(size, scale=1.0)`` registered for this test only."""
    registry, register, build, names, word = KINDS[request.param]
    # A copy of the registry's tables for this test: the real ones are left as they were.
    monkeypatch.setattr(registry, "_factories", dict(registry._factories))
    monkeypatch.setattr(registry, "_signatures", dict(registry._signatures))

    @register("needy")
    def needy(size, scale=1.0):
        return ("built", size * scale)

    return request.param, register, build, names, word


def test_registration_order_and_build(kind):
    name, _, build, names, _ = kind
    assert names()[-1] == "needy" and len(names()) == len(set(names())) > 1
    assert build("needy", size=2.0, scale=3.0) == ("built", 6.0)


def test_duplicates_are_refused_naming_the_kind(kind):
    name, register, build, names, _ = kind
    first = names()[0]
    before = names()
    with pytest.raises(ValueError, match=f"^a {name} named '{first}' is already registered$"):
        register(first)(lambda: None)
    with pytest.raises(ValueError, match=f"^a {name} named 'needy' is already registered$"):
        register("needy")(lambda: None)
    assert names() == before


def test_bare_register_uses_the_factory_name(kind):
    _, register, build, names, _ = kind

    def solo(size=1.0):
        return ("solo", size)

    assert register(solo) is solo
    assert names()[-1] == "solo" and build("solo") == ("solo", 1.0)


def test_unknown_names_list_every_known_one(kind):
    name, _, build, names, _ = kind
    with pytest.raises(ValueError) as info:
        build("nope")
    assert str(info.value) == f"unknown {name} 'nope'; choose one of {', '.join(names())}"


def test_unknown_arguments_are_refused_naming_the_allowed_ones(kind):
    name, _, build, _, word = kind
    with pytest.raises(ValueError) as info:
        build("needy", size=1.0, colour="red")
    assert str(info.value) == (
        f"{name} 'needy' has no {word} 'colour'; its {word}s are: size, scale"
    )


def test_missing_arguments_are_reported(kind):
    name, _, build, _, word = kind
    with pytest.raises(ValueError) as info:
        build("needy", scale=2.0)
    assert str(info.value) == f"{name} 'needy' needs {word}(s) size; its {word}s are: size, scale"


def test_the_registries_leave_the_lists_as_they_were():
    # The fixture above works on copies; the real names are the built-in ones.
    assert "needy" not in lossviz.surface_names() + lossviz.optimizer_names()
    assert "needy" not in lossviz.schedule_names()


def test_teachers_can_add_a_schedule(monkeypatch):
    monkeypatch.setattr(_SCHEDULES, "_factories", dict(_SCHEDULES._factories))
    monkeypatch.setattr(_SCHEDULES, "_signatures", dict(_SCHEDULES._signatures))

    @schedules.register
    def halving(lr: float, every: int) -> schedules.LearningRateSchedule:
        return schedules.LearningRateSchedule(
            "halving", {"lr": lr, "every": every}, lambda t: lr * 0.5 ** (t // every)
        )

    lr = lossviz.schedule("halving", lr=0.1, every=2)
    assert lr([0, 1, 2, 4]).tolist() == [0.1, 0.1, 0.05, 0.025]
    assert "halving" in lossviz.schedule_names()
    run = lossviz.descend("quadratic", lossviz.optimizer("gd", lr=lr), steps=5)
    assert run.path.shape == (1, 6, 2)


@pytest.mark.parametrize(
    ("build", "thing"),
    [
        (lossviz.surface, lossviz.surface("quadratic")),
        (lossviz.optimizer, lossviz.optimizer("gd")),
        (lossviz.schedule, lossviz.schedules.constant(0.1)),
    ],
)
def test_built_things_pass_through_and_refuse_arguments(build, thing):
    assert build(thing) is thing
    with pytest.raises(ValueError, match="cannot be applied to an already built"):
        build(thing, lr=0.1)
