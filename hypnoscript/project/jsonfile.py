"""JSON project files (`trance.json`, the lock file, the configuration): reading them with
diagnostics that point into the file, and validating them against the schemas shipped in
`hypnoscript/project/schemas/`.

A syntax error names the file, line and column; a schema violation names the JSON path of the bad
key (`$.anchors.foo: expected a string`) and, because the text is kept, its line and column too.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache

from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError
from hypnoscript.syntax.source import Source, Span

SCHEMAS = os.path.join(os.path.dirname(__file__), "schemas")

CODE_UNREADABLE = "HYP5010"
CODE_SYNTAX = "HYP5011"
CODE_SCHEMA = "HYP5012"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class JsonFile:
    """A parsed JSON file that remembers where each value came from."""

    def __init__(self, path: str, source: Source, data: object) -> None:
        self.path = path
        self.source = source
        self.data = data
        self._positions: dict[tuple, tuple[int, int]] | None = None

    def span(self, path: tuple) -> Span | None:
        """The span of the value at `path` (keys and indexes), or of its nearest existing parent."""
        if self._positions is None:
            self._positions = {}
            try:
                _positions(self.source.text, _skip_ws(self.source.text, 0), (), self._positions)
            except RecursionError:
                pass  # absurdly deep nesting: report without a position
        while True:
            found = self._positions.get(tuple(path))
            if found is not None:
                return self.source.span(*found)
            if not path:
                return None
            path = path[:-1]

    def diagnostic(self, code: str, path: tuple, message: str, help: str | None = None) -> Diagnostic:
        return Diagnostic(code, f"{json_path(path)}: {message}", self.span(path), help=help, path=self.path)


def read(path: str, what: str) -> JsonFile:
    """Read and parse a JSON file; raises DiagnosticError for a missing, unreadable or invalid one."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise DiagnosticError([Diagnostic(CODE_UNREADABLE, f"cannot read {what}: {exc.strerror or exc}",
                                          path=path)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DiagnosticError([Diagnostic(CODE_UNREADABLE, f"{what} is not valid UTF-8 (byte {exc.start})",
                                          path=path)]) from None
    return parse(text, path, what)


def parse(text: str, path: str, what: str) -> JsonFile:
    text = text.removeprefix("\ufeff")
    source = Source(text, path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        start = min(exc.pos, len(text))
        span = source.span(start, min(start + 1, len(text))) if text else None
        raise DiagnosticError([Diagnostic(CODE_SYNTAX, f"{what} is not valid JSON: {exc.msg}", span,
                                          path=path)]) from None
    except RecursionError:
        raise DiagnosticError([Diagnostic(CODE_SYNTAX, f"{what} is nested too deeply", path=path)]) from None
    return JsonFile(path, source, data)


def json_path(path: tuple) -> str:
    """`$.anchors.foo`, `$.routes[0]`, `$.deepAnchors["@hypno/lab"]`."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += "." + part
        else:
            out += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return out


@cache
def schema(name: str) -> dict:
    with open(os.path.join(SCHEMAS, name), encoding="utf-8") as fh:
        return json.load(fh)


def violations(schema_: dict, data: object, validator_cls=None) -> list[tuple[tuple, str]]:
    """(JSON path, readable message) for every way `data` breaks `schema_`."""
    from jsonschema import Draft202012Validator

    validator = (validator_cls or Draft202012Validator)(schema_)
    found = []
    for error in validator.iter_errors(data):
        found.extend(_describe(error))
    return list(dict.fromkeys(found))


def validate(doc: JsonFile, schema_name: str, code: str = CODE_SCHEMA) -> list[Diagnostic]:
    """Schema violations of the file, one diagnostic each, in file order."""
    diags = [doc.diagnostic(code, path, message) for path, message in violations(schema(schema_name), doc.data)]
    return sort(diags)


def sort(diags: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: d.span.start if d.span else -1)


# ---------------------------------------------------------------- readable schema errors

_TYPE_NAMES = {"string": "a string", "object": "an object", "array": "a list", "integer": "an integer",
               "number": "a number", "boolean": "true or false", "null": "null"}


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _expected(types) -> str:
    names = [types] if isinstance(types, str) else list(types)
    words = [_TYPE_NAMES.get(t, t) for t in names if t != "null"]
    text = " or ".join(words) if words else "null"
    return text + (" (or null)" if "null" in names and words else "")


def _describe(error) -> list[tuple[tuple, str]]:
    """(path, message) pairs for one jsonschema error; `oneOf`/`anyOf` show their best branch."""
    path = tuple(error.absolute_path)
    v = error.validator
    schema_ = error.schema if isinstance(error.schema, dict) else {}
    custom = schema_.get("errorMessage")
    if "propertyNames" in error.relative_schema_path and isinstance(error.instance, str):
        # a bad key: point at the key itself
        return [(path + (error.instance,), f"invalid name: {custom or error.message}")]
    if custom and v not in ("required", "additionalProperties") and not (v == "type" and "properties" in schema_):
        return [(path, custom)]
    if v in ("oneOf", "anyOf") and error.context:
        # the branch the user meant: one whose type fits, with the fewest complaints
        branches: dict[int, list] = {}
        for e in error.context:
            branches.setdefault(e.relative_schema_path[0], []).append(e)

        def wrong_type(errors) -> bool:
            return any(e.validator == "type" and len(e.absolute_path) == len(path) for e in errors)

        best = min(branches.values(), key=lambda errors: (wrong_type(errors), len(errors)))
        if not wrong_type(best):
            return [found for e in best for found in _describe(e)]
        options = [_expected(b.get("type")) for b in error.validator_value if isinstance(b, dict) and b.get("type")]
        if options:
            return [(path, f"expected {' or '.join(dict.fromkeys(options))}, got {_kind(error.instance)}")]
    if v == "type":
        return [(path, f"expected {_expected(error.validator_value)}, got {_kind(error.instance)}")]
    if v == "required":
        missing = [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]
        return [(path, f"missing required key \"{k}\"") for k in missing]
    if v == "additionalProperties":
        allowed = sorted(schema_.get("properties", {}))
        extra = [k for k in error.instance if k not in schema_.get("properties", {})]
        hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        return [(path + (k,), f"unknown key{hint}") for k in extra]
    if v == "enum":
        return [(path, "expected one of " + ", ".join(json.dumps(x) for x in error.validator_value)
                 + f", got {json.dumps(error.instance)}")]
    if v == "const":
        return [(path, f"expected {json.dumps(error.validator_value)}")]
    if v == "minLength":
        return [(path, "must not be empty" if error.validator_value == 1 else
                 f"must be at least {error.validator_value} characters long")]
    if v == "minItems":
        return [(path, f"needs at least {error.validator_value} item(s)")]
    if v in ("minimum", "exclusiveMinimum"):
        op = ">=" if v == "minimum" else ">"
        return [(path, f"must be {op} {error.validator_value}, got {error.instance}")]
    if v in ("maximum", "exclusiveMaximum"):
        op = "<=" if v == "maximum" else "<"
        return [(path, f"must be {op} {error.validator_value}, got {error.instance}")]
    if v == "pattern":
        return [(path, f"{json.dumps(error.instance)} does not have the expected form ({error.validator_value})")]
    if v == "propertyNames":
        return [(path, f"invalid key: {error.message}")]
    if v == "oneOf":
        return [(path, "matches more than one allowed form")]
    return [(path, error.message)]


# ---------------------------------------------------------------- positions of values in the text

_WS = " \t\n\r"


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _positions(text: str, i: int, path: tuple, out: dict) -> int:
    """Record (start, end) of every value under `path`; `text` is known to be valid JSON."""
    start = i
    ch = text[i] if i < len(text) else ""
    if ch == "{":
        i = _skip_ws(text, i + 1)
        while text[i] != "}":
            key_start = i
            key, i = json.decoder.scanstring(text, i + 1)
            i = _skip_ws(text, i)
            i = _skip_ws(text, i + 1)  # ':'
            child = path + (key,)
            i = _positions(text, i, child, out)
            # point a key's diagnostics at the key itself: that is what a reader looks for
            out[child] = (key_start, out[child][1])
            i = _skip_ws(text, i)
            if text[i] == ",":
                i = _skip_ws(text, i + 1)
        i += 1
    elif ch == "[":
        i = _skip_ws(text, i + 1)
        index = 0
        while text[i] != "]":
            i = _positions(text, i, path + (index,), out)
            index += 1
            i = _skip_ws(text, i)
            if text[i] == ",":
                i = _skip_ws(text, i + 1)
        i += 1
    elif ch == '"':
        _, i = json.decoder.scanstring(text, i + 1)
    else:
        _, i = json.JSONDecoder().raw_decode(text, i)
    out[path] = (start, i)
    return i
