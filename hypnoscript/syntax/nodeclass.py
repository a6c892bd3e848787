"""A small stand-in for `dataclasses` used by the syntax tree.

The tree has sixty node classes; building them with `dataclasses` (which imports `inspect` and
compiles three methods per class) cost about 70 ms at every cold start. This builds the same
shape (slotted classes, positional then keyword-only fields, value equality that can leave a field
out) in a fraction of that, compiling each class's `__init__` the first time it is called.
"""

from __future__ import annotations

_MISSING = object()


class Field:
    __slots__ = ("name", "default", "default_factory", "compare", "repr", "kw_only")

    def __init__(self, name, default=_MISSING, compare=True, repr=True, kw_only=False,
                 default_factory=_MISSING) -> None:
        self.name = name
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr
        self.kw_only = kw_only

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default=_MISSING, default_factory=_MISSING, compare: bool = True, repr: bool = True,
          kw_only: bool = False) -> Field:
    return Field(None, default, compare, repr, kw_only, default_factory)


def fields(obj) -> tuple[Field, ...]:
    """The fields of a node class or node, positional ones first."""
    cls = obj if isinstance(obj, type) else type(obj)
    return cls.__node_fields__


def dataclass(cls=None, *, slots: bool = False):
    """Decorate a class whose annotations declare its fields (see the module docstring)."""

    def wrap(cls):
        return _build(cls, slots)

    return wrap if cls is None else wrap(cls)


def _build(cls, slots: bool):
    inherited: list[Field] = list(getattr(cls, "__node_fields__", ()))
    own: list[Field] = []
    namespace = dict(cls.__dict__)
    for name in cls.__dict__.get("__annotations__", {}):
        value = namespace.pop(name, _MISSING)
        f = value if isinstance(value, Field) else Field(None, value)
        f.name = name
        own.append(f)
    all_fields = inherited + own
    ordered = tuple([f for f in all_fields if not f.kw_only] + [f for f in all_fields if f.kw_only])
    if slots:
        namespace["__slots__"] = tuple(f.name for f in own)
        namespace.pop("__dict__", None)
        namespace.pop("__weakref__", None)
        cls = type(cls)(cls.__name__, cls.__bases__, namespace)
    else:
        for f in own:
            if hasattr(cls, f.name) and isinstance(getattr(cls, f.name), Field):
                delattr(cls, f.name)
    cls.__node_fields__ = ordered
    cls.__init__ = _lazy_init
    cls.__eq__ = _eq
    cls.__hash__ = object.__hash__
    cls.__repr__ = _repr
    return cls


def _lazy_init(self, *args, **kwargs):
    """Compile the class's real `__init__` on first use, install it and call it."""
    cls = type(self)
    init = _compile_init(cls)
    cls.__init__ = init
    init(self, *args, **kwargs)


def _compile_init(cls):
    params, body, defaults = [], [], {}
    kw_started = False
    for f in cls.__node_fields__:
        if f.kw_only and not kw_started:
            params.append("*")
            kw_started = True
        if f.default_factory is not _MISSING:
            # a fresh value per node, like dataclasses' default_factory
            defaults[f"_f_{f.name}"] = f.default_factory
            defaults["_MISSING"] = _MISSING
            params.append(f"{f.name}=_MISSING")
            body.append(f"    self.{f.name} = _f_{f.name}() if {f.name} is _MISSING else {f.name}")
            continue
        if f.default is _MISSING:
            params.append(f.name)
        else:
            defaults[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
        body.append(f"    self.{f.name} = {f.name}")
    src = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    namespace: dict = dict(defaults)
    exec(compile(src, f"<node {cls.__name__}>", "exec"), namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__name__}.__init__"
    return init


def _eq(self, other):
    if type(other) is not type(self):
        return NotImplemented
    for f in self.__node_fields__:
        if f.compare and getattr(self, f.name) != getattr(other, f.name):
            return False
    return True


def _repr(self) -> str:
    parts = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in self.__node_fields__ if f.repr)
    return f"{type(self).__name__}({parts})"
