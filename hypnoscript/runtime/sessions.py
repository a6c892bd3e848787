"""Sessions (HypnoScript's classes) and their instances.

A session is built at run time when its declaration executes: the compiler emits one Python
function per method (taking the instance first) and one per field initialiser, and hands them to
`Session`. Visibility follows the reference: a `conceal` member is reachable only while a method
of its own session is the innermost running method (`CONTEXT` is that stack).
"""

from __future__ import annotations

from hypnoscript.runtime.errors import HypError, HypNameError

_new = object.__new__

# The sessions whose methods are running, innermost last (pushed only by programs that have
# concealed members; see the compiler).
CONTEXT: list = []


class Method:
    __slots__ = ("name", "fn", "private", "static")

    def __init__(self, name: str, fn, private: bool, static: bool) -> None:
        self.name = name
        self.fn = fn
        self.private = private
        self.static = static


class Session:
    """A declared session: callable to make an instance."""

    __hyp_kind__ = "session"
    __slots__ = (
        "name",
        "field_names",
        "_template",
        "_later",
        "public_fields",
        "private_fields",
        "methods",
        "static_methods",
        "static_fields",
        "private_static",
        "constructor",
        "make",
        "__weakref__",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.field_names: list[str] = []
        # a new instance's fields: copied from _template (every field null, and the constant
        # initial values up to the first computed one), then _later set in declaration order
        self._template: dict[str, object] = {}
        self._later: list = []  # (name, init function or None, constant value)
        # fields anyone may read as `x.name` (not concealed, not shadowed by a method)
        self.public_fields: set[str] = set()
        self.private_fields: set[str] = set()
        self.methods: dict[str, Method] = {}
        self.static_methods: dict[str, Method] = {}
        self.static_fields: dict[str, object] = {}
        self.private_static: set[str] = set()
        self.constructor = None
        self.make = self  # after seal(): a plain function doing what calling the session does

    def add_field(self, name: str, init, private: bool, value=None) -> None:
        """A field with an initialiser function of `this`, or with the constant `value` (init None)."""
        if name in self.field_names or name in self.static_fields:
            raise HypError(f"Duplicate session field '{name}' in session '{self.name}'")
        self.field_names.append(name)
        self._template[name] = None
        if init is None and not self._later:
            self._template[name] = value
        else:
            self._later.append((name, init, value))
        if private:
            self.private_fields.add(name)
        elif name not in self.methods:
            self.public_fields.add(name)

    def add_static_field(self, name: str, private: bool) -> None:
        if name in self.field_names or name in self.static_fields:
            raise HypError(f"Duplicate session field '{name}' in session '{self.name}'")
        self.static_fields[name] = None
        if private:
            self.private_static.add(name)

    def add_method(self, name: str, fn, private: bool, static: bool) -> None:
        fn.__qualname__ = f"{self.name}::{name}"
        if name == "constructor":
            if static:
                raise HypError(f"Constructor in session '{self.name}' cannot be static")
            if self.constructor is not None:
                raise HypError(f"Multiple constructors declared in session '{self.name}'")
            self.constructor = fn
            return
        table = self.static_methods if static else self.methods
        if not static:
            self.public_fields.discard(name)  # an instance method shadows a field of its name
        if name in table:
            kind = "static method" if static else "method"
            raise HypError(f"Duplicate {kind} '{name}' in session '{self.name}'")
        table[name] = Method(name, fn, private, static)

    def seal(self) -> None:
        """The declaration is complete: `make` becomes a lean factory where the session has a
        constructor and only literal initial values (the compiler calls `make` where it knows the
        call passes the constructor's number of arguments)."""
        ctor, template = self.constructor, self._template
        if ctor is None or self._later:
            return
        session = self

        def make(*args):
            inst = _new(Instance)
            inst.session = session
            inst.fields = template.copy()
            ctor(inst, *args)
            return inst

        self.make = make

    def __call__(self, *args):
        inst = _new(Instance)
        inst.session = self
        inst.fields = fields = self._template.copy()
        if self._later:
            CONTEXT.append(self)
            try:
                for name, init, value in self._later:
                    fields[name] = value if init is None else init(inst)
            finally:
                CONTEXT.pop()
        ctor = self.constructor
        if ctor is None:
            if args:
                raise HypError(f"Session '{self.name}' does not define a constructor but arguments were provided")
            return inst
        expected = ctor.__code__.co_argcount - 1
        if len(args) != expected:
            raise HypError(
                f"Constructor for session '{self.name}' expects {expected} arguments, received {len(args)}"
            )
        ctor(inst, *args)
        return inst

    def __hyp_display__(self) -> str:
        return f"<session {self.name}>"

    def __repr__(self) -> str:
        return f"<session {self.name}>"


class Instance:
    """An instance of a session: a reference value with its own fields (made by Session.__call__,
    which sets `session` and `fields` without an `__init__` call)."""

    __hyp_kind__ = "instance"
    __slots__ = ("session", "fields", "__weakref__")

    def __hyp_display__(self) -> str:
        return f"<session-instance {self.session.name}>"

    def __repr__(self) -> str:
        return f"<session-instance {self.session.name}>"


class BoundMethod:
    """`obj.method` taken as a value."""

    __slots__ = ("instance", "fn")

    def __init__(self, instance, fn) -> None:
        self.instance = instance
        self.fn = fn

    def __call__(self, *args):
        return self.fn(self.instance, *args)

    def __hyp_display__(self) -> str:
        return f"<function {self.fn.__qualname__}>"


def _allowed(session: Session) -> bool:
    return bool(CONTEXT) and CONTEXT[-1] is session


def _denied(kind: str, name: str, session: Session) -> HypError:
    return HypError(f"Access denied to private {kind} '{name}' of session '{session.name}'")


def get_instance_member(inst: Instance, name: str):
    s = inst.session
    m = s.methods.get(name)
    if m is not None:
        if m.private and not _allowed(s):
            raise _denied("method", name, s)
        return BoundMethod(inst, m.fn)
    fields = inst.fields
    if name in fields:
        if name in s.private_fields and not _allowed(s):
            raise _denied("field", name, s)
        return fields[name]
    if name in s.static_fields:
        if name in s.private_static and not _allowed(s):
            raise _denied("field", name, s)
        return s.static_fields[name]
    m = s.static_methods.get(name)
    if m is not None:
        if m.private and not _allowed(s):
            raise _denied("method", name, s)
        return m.fn
    raise HypNameError(f"Session instance of '{s.name}' has no member '{name}'")


def get_static_member(s: Session, name: str):
    if name in s.static_fields:
        if name in s.private_static and not _allowed(s):
            raise _denied("field", name, s)
        return s.static_fields[name]
    m = s.static_methods.get(name)
    if m is not None:
        if m.private and not _allowed(s):
            raise _denied("method", name, s)
        return m.fn
    raise HypNameError(f"Session '{s.name}' has no static member '{name}'")


def call_instance_method(inst: Instance, name: str, args: tuple):
    s = inst.session
    m = s.methods.get(name)
    if m is not None:
        if m.private and not _allowed(s):
            raise _denied("method", name, s)
        return m.fn(inst, *args)
    return get_instance_member(inst, name)(*args)


def set_instance_field(inst: Instance, name: str, value):
    s = inst.session
    fields = inst.fields
    if name in fields:
        if name in s.private_fields and not _allowed(s):
            raise _denied("field", name, s)
        fields[name] = value
        return value
    if name in s.methods or name in s.static_methods:
        raise HypError(f"Cannot assign to method '{name}'")
    if name in s.static_fields:
        raise HypError(f"Assign static field '{name}' through session '{s.name}', not an instance")
    raise HypError(f"Session instance of '{s.name}' has no field '{name}'")


def set_static_field(s: Session, name: str, value):
    if name in s.static_fields:
        if name in s.private_static and not _allowed(s):
            raise _denied("field", name, s)
        s.static_fields[name] = value
        return value
    if name in s.static_methods:
        raise HypError(f"Cannot assign to static method '{name}'")
    raise HypError(f"Session '{s.name}' has no static field '{name}'")


def init_static_field(s: Session, name: str, init) -> None:
    """Run a static field's initialiser with the session as the running context."""
    CONTEXT.append(s)
    try:
        s.static_fields[name] = init()
    finally:
        CONTEXT.pop()
