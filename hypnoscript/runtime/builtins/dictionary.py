"""Dictionaries kept as JSON text, as in the reference runtime: every function takes the JSON of an
object and returns a value or the new JSON (compact, keys sorted)."""

from __future__ import annotations

from hypnoscript.runtime.builtins.args import as_object, as_string
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import to_json
from hypnoscript.runtime.errors import HypError
from hypnoscript.runtime.values import display


def _reject_constant(name: str):
    raise ValueError(f"invalid JSON constant {name}")


def parse(text: str) -> object:
    import json

    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise HypError("Error in dict: parse_error") from None


def dump(obj: object) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def json_text(v: object) -> str:
    """serde_json's rendering of a value as plain text: strings unquoted, the rest as JSON."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, float):
        return repr(v).replace("e+", "e").replace("e-0", "e-")
    if isinstance(v, int):
        return str(v)
    return dump(v)


def _load(name: str, text) -> object:
    return parse(as_string(text, name, 1))


@builtin("dictionary", "DictCreate() -> string", 'An empty dictionary: "{}"')
def _dict_create():
    return "{}"


@builtin("dictionary", "DictGet(dict: string, key: string) -> string", 'The value for key as text ("" when missing)')
def _dict_get(d, key):
    key = as_string(key, "DictGet", 2)
    obj = _load("DictGet", d)
    if isinstance(obj, dict) and key in obj:
        return json_text(obj[key])
    return ""


@builtin(
    "dictionary",
    "DictSet(dict: string, key: string, value: any) -> string",
    "A copy with key set (text that parses as JSON is stored as that JSON)",
)
def _dict_set(d, key, value):
    key = as_string(key, "DictSet", 2)
    obj = _load("DictSet", d)
    if isinstance(obj, dict):
        if isinstance(value, str):
            import json

            try:
                obj[key] = json.loads(value, parse_constant=_reject_constant)
            except (ValueError, RecursionError):
                obj[key] = value
        else:
            obj[key] = to_json(value, "DictSet")
    return dump(obj)


@builtin("dictionary", "DictHasKey(dict: string, key: string) -> boolean", "Whether key is present")
def _dict_has_key(d, key):
    key = as_string(key, "DictHasKey", 2)
    obj = _load("DictHasKey", d)
    return isinstance(obj, dict) and key in obj


@builtin("dictionary", "DictKeys(dict: string) -> string[]", "The keys, sorted")
def _dict_keys(d):
    obj = _load("DictKeys", d)
    return sorted(obj) if isinstance(obj, dict) else []


@builtin("dictionary", "DictValues(dict: string) -> string[]", "The values as text, in key order")
def _dict_values(d):
    obj = _load("DictValues", d)
    return [json_text(obj[k]) for k in sorted(obj)] if isinstance(obj, dict) else []


@builtin("dictionary", "DictSize(dict: string) -> number", "Number of keys")
def _dict_size(d):
    obj = _load("DictSize", d)
    return float(len(obj)) if isinstance(obj, dict) else 0.0


@builtin("dictionary", "DictIsEmpty(dict: string) -> boolean", "Whether there are no keys")
def _dict_is_empty(d):
    obj = _load("DictIsEmpty", d)
    return not (isinstance(obj, dict) and obj)


@builtin("dictionary", "DictRemove(dict: string, key: string) -> string", "A copy without key")
def _dict_remove(d, key):
    key = as_string(key, "DictRemove", 2)
    obj = _load("DictRemove", d)
    if isinstance(obj, dict):
        obj.pop(key, None)
    return dump(obj)


@builtin("dictionary", "DictClear(dict: string) -> string", 'An empty dictionary: "{}"')
def _dict_clear(d):
    as_string(d, "DictClear", 1)
    return "{}"


@builtin("dictionary", "DictMerge(a: string, b: string) -> string", "a with every key of b set (b wins)")
def _dict_merge(a, b):
    b = as_string(b, "DictMerge", 2)
    left = _load("DictMerge", a)
    right = parse(b)
    if isinstance(left, dict) and isinstance(right, dict):
        left.update(right)
    return dump(left)


@builtin("dictionary", "DictFromJson(dict: string) -> object", "An object with the dictionary's values as text")
def _dict_from_json(d):
    obj = _load("DictFromJson", d)
    return {k: json_text(obj[k]) for k in sorted(obj)} if isinstance(obj, dict) else {}


@builtin(
    "dictionary", "DictToJson(object: object) -> string", "The dictionary JSON of an object (values stored as text)"
)
def _dict_to_json(o):
    return dump({str(k): display(v) for k, v in as_object(o, "DictToJson", 1).items()})
