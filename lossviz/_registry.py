"""Registries of named factories: the one lookup behind `lossviz.surface`,
`lossviz.optimizer` and `lossviz.schedule`.

A `Registry` maps names to factories ``factory(**arguments) -> thing``, in
registration order, and builds a thing by name with the same checks and
messages for every kind::

    a surface named 'quadratic' is already registered
    unknown optimizer 'adamw'; choose one of gd, momentum, ...
    surface 'quadratic' has no parameter 'colour'; its parameters are: condition, angle
    schedule 'cosine' needs parameter(s) steps; its parameters are: lr, steps, lr_min
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["Registry"]


class Registry(Generic[T]):
    """Named factories of one kind, e.g. every surface.

    Parameters
    ----------
    kind
        What the factories build, as the messages say it: ``"surface"``.
    argument
        What the factories' arguments are called: ``"parameter"`` or ``"hyperparameter"``.
    built
        The type of what the factories build: `build` returns an instance of it
        as it is (and refuses arguments for it).

    Examples
    --------
    >>> shapes = Registry("shape")
    >>> @shapes.register
    ... def square(side=1.0):
    ...     return side * side
    >>> @shapes.register("disc")
    ... def round_shape(radius):
    ...     return 3.14159 * radius * radius
    >>> shapes.names(), shapes.build("square", side=2.0)
    (['square', 'disc'], 4.0)
    >>> shapes.build("disc")
    Traceback (most recent call last):
    ...
    ValueError: shape 'disc' needs parameter(s) radius; its parameters are: radius
    >>> shapes.build("triangle")
    Traceback (most recent call last):
    ...
    ValueError: unknown shape 'triangle'; choose one of square, disc
    """

    def __init__(self, kind: str, *, argument: str = "parameter", built: type | None = None):
        self.kind = kind
        self.argument = argument
        self.built = built
        self._factories: dict[str, Callable[..., T]] = {}
        self._signatures: dict[str, inspect.Signature] = {}

    @overload
    def register(self, name: F) -> F: ...

    @overload
    def register(self, name: str | None = None) -> Callable[[F], F]: ...

    def register(self, name: Any = None) -> Any:
        """Decorator registering a factory under ``name``, or under its own ``__name__``.

        Usable bare (``@registry.register``) or with a name
        (``@registry.register("name")``); returns the factory unchanged.

        Raises
        ------
        ValueError
            If the name is already registered: pick another name (a registered
            factory is never replaced silently).
        """
        if callable(name):
            return self._add(name.__name__, name)

        def decorate(factory: F) -> F:
            return self._add(factory.__name__ if name is None else name, factory)

        return decorate

    def _add(self, name: str, factory: F) -> F:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} name must be a non-empty string; got {name!r}")
        if not callable(factory):
            raise TypeError(f"a {self.kind} factory must be callable; got {factory!r}")
        if name in self._factories:
            raise ValueError(f"a {self.kind} named {name!r} is already registered")
        self._factories[name] = factory
        self._signatures[name] = inspect.signature(factory)
        return factory

    def build(self, name: Any, **arguments: Any) -> T:
        """The thing ``name`` built with ``arguments``; an already built thing as it is.

        Raises
        ------
        ValueError
            For an unknown name, an argument the factory does not take, or a
            missing required one; the message lists the valid ones. The
            factory's own checks raise for bad values.
        """
        if self.built is not None and isinstance(name, self.built):
            if arguments:
                raise ValueError(
                    f"{self.argument}s cannot be applied to an already built {self.kind}"
                )
            return name
        if not isinstance(name, str) or name not in self._factories:
            raise ValueError(
                f"unknown {self.kind} {name!r}; choose one of {', '.join(self._factories)}"
            )
        parameters = self._signatures[name].parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        named = [
            k for k, p in parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        unknown = [] if takes_any else [k for k in arguments if k not in named]
        if unknown:
            raise ValueError(
                f"{self.kind} {name!r} has no {self.argument} {', '.join(map(repr, unknown))}; "
                f"its {self.argument}s are: {', '.join(named) or '(none)'}"
            )
        missing = [
            k for k in named if parameters[k].default is parameters[k].empty and k not in arguments
        ]
        if missing:
            raise ValueError(
                f"{self.kind} {name!r} needs {self.argument}(s) {', '.join(missing)}; "
                f"its {self.argument}s are: {', '.join(named)}"
            )
        return self._factories[name](**arguments)

    def names(self) -> list[str]:
        """Every registered name, in registration order."""
        return list(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def __repr__(self) -> str:
        return f"<Registry of {self.kind}s: {', '.join(self._factories)}>"
