"""Syntax tree -> plain data, JSON text and a readable indented tree.

Used by `hyp parse`, the web playground and the language server. Every walk here is iterative:
a long operator chain (`1 + 1 + ... + 1`) builds a tree far deeper than Python's recursion limit.
"""

from __future__ import annotations

import json
import math
from hypnoscript.syntax.nodeclass import fields

from hypnoscript.syntax.ast import Node

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """The node's own fields in declaration order, without `span`."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = tuple(f.name for f in fields(cls) if f.name != "span")
        _FIELD_NAMES[cls] = names
    return names


def _scalar(value):
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def to_data(root) -> dict | list | None:
    """A node (or list of nodes) as nested dicts and lists: `{"node": "Binary", "op": "+", ...,
    "span": {...}}`. Non-finite floats become the strings "NaN", "Infinity", "-Infinity"."""
    pending: list[tuple[Node, dict]] = []

    def convert(value):
        if isinstance(value, Node):
            out: dict = {}
            pending.append((value, out))
            return out
        if isinstance(value, list):
            return [convert(item) for item in value]
        return _scalar(value)

    result = convert(root)
    while pending:
        node, out = pending.pop()
        out["node"] = type(node).__name__
        for name in _field_names(type(node)):
            out[name] = convert(getattr(node, name))
        out["span"] = node.span.to_json()
    return result


def to_json(root, indent: int | None = 2) -> str:
    """JSON text of `to_data(root)`, written without recursion."""
    newline = "\n" if indent is not None else ""
    item_separator = "," if indent is not None else ", "
    unit = " " * (indent or 0)
    parts: list[str] = []
    # Work items: ("value", data, depth) writes a value; ("text", str) writes literal text.
    work: list[tuple] = [("value", to_data(root), 0)]
    while work:
        item = work.pop()
        if item[0] == "text":
            parts.append(item[1])
            continue
        _, value, depth = item
        if isinstance(value, dict) or isinstance(value, list):
            is_dict = isinstance(value, dict)
            opening, closing = ("{", "}") if is_dict else ("[", "]")
            if not value:
                parts.append(opening + closing)
                continue
            inner = newline + unit * (depth + 1)
            parts.append(opening)
            entries = list(value.items()) if is_dict else list(enumerate(value))
            # Push in reverse so the first entry is written first.
            work.append(("text", newline + unit * depth + closing))
            for index in range(len(entries) - 1, -1, -1):
                key, entry = entries[index]
                work.append(("value", entry, depth + 1))
                prefix = inner if index == 0 else item_separator + inner
                if is_dict:
                    prefix += json.dumps(key, ensure_ascii=False) + ": "
                work.append(("text", prefix))
        else:
            parts.append(json.dumps(value, ensure_ascii=False))
    return "".join(parts)


def to_tree(root: Node, show_spans: bool = True) -> str:
    """One node per line, children indented by two spaces:

        Program @1:1
          body:
            - Output kind='observe' @2:5
                value: StringLit value='hi' @2:13
    """
    lines: list[str] = []
    # Work items: (indent, label prefix, value)
    work: list[tuple[int, str, object]] = [(0, "", root)]
    while work:
        indent, label, value = work.pop()
        pad = "  " * indent
        if isinstance(value, Node):
            scalars = []
            children: list[tuple[str, object]] = []
            for name in _field_names(type(value)):
                field_value = getattr(value, name)
                if isinstance(field_value, (Node, list)):
                    children.append((name, field_value))
                else:
                    scalars.append(f"{name}={_scalar(field_value)!r}")
            head = type(value).__name__
            if scalars:
                head += " " + " ".join(scalars)
            if show_spans:
                head += f" @{value.span.line}:{value.span.col}"
            lines.append(pad + label + head)
            for name, child in reversed(children):
                work.append((indent + 1, f"{name}: ", child))
        elif isinstance(value, list):
            if not value:
                lines.append(pad + label + "[]")
                continue
            lines.append(pad + label.rstrip())
            for element in reversed(value):
                work.append((indent + 1, "- ", element))
        else:
            lines.append(pad + label + repr(value))
    return "\n".join(lines)
