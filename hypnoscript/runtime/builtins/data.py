"""JSON and CSV helpers working on text, like the reference's data module. Errors read
`JSON error: ...` and `CSV error: ...`."""

from __future__ import annotations

from hypnoscript.runtime.builtins.args import as_array, as_char, as_object, as_string, optional
from hypnoscript.runtime.builtins.dictionary import json_text
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.errors import HypError, HypTypeError
from hypnoscript.runtime.values import display, truthy


def _reject_constant(name: str):
    raise ValueError(f"invalid JSON constant {name}")


def _parse(text: str) -> object:
    import json

    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise HypError(f"JSON error: {exc}") from None


@builtin("data", "JsonPretty(json: string) -> string", "Pretty-print JSON with 2-space indentation (keys sorted)")
def _json_pretty(raw):
    import json

    data = _parse(as_string(raw, "JsonPretty", 1))
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def json_path(value: object, path: str) -> tuple[bool, object]:
    """Follow a `a.b[0].c` path; (False, None) when a step is missing."""
    token = ""
    i = 0
    while i < len(path):
        ch = path[i]
        i += 1
        if ch in ".[":
            if token:
                if not isinstance(value, dict) or token not in value:
                    return False, None
                value = value[token]
                token = ""
            if ch == "[":
                end = path.find("]", i)
                index = path[i:] if end < 0 else path[i:end]
                i = len(path) if end < 0 else end + 1
                if not index.isdigit() or not isinstance(value, list) or int(index) >= len(value):
                    return False, None
                value = value[int(index)]
        else:
            token += ch
    if token:
        if not isinstance(value, dict) or token not in value:
            return False, None
        value = value[token]
    return True, value


@builtin(
    "data",
    "JsonQuery(json: string, path: string, default?: any) -> any",
    "The value at a path like user.items[0].name as text (default or null when missing; empty path gives the whole JSON)",
)
def _json_query(raw, path, default=None):
    import json

    raw = as_string(raw, "JsonQuery", 1)
    path = as_string(path, "JsonQuery", 2)
    data = _parse(raw)
    if not path.strip():
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    found, value = json_path(data, path)
    if found:
        return json_text(value)
    return None if default is None else display(default)


def _merge(left: object, right: object) -> object:
    if isinstance(left, dict) and isinstance(right, dict):
        for k, v in right.items():
            left[k] = _merge(left.get(k), v)
        return left
    if isinstance(left, list) and isinstance(right, list):
        return left + right
    return right


@builtin(
    "data",
    "JsonMerge(a: string, b: string) -> string",
    "Deep merge: objects recursively, arrays concatenated, other values replaced by b",
)
def _json_merge(a, b):
    import json

    a = as_string(a, "JsonMerge", 1)
    b = as_string(b, "JsonMerge", 2)
    left, right = _parse(a), _parse(b)
    return json.dumps(_merge(left, right), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _csv_options(name: str, delimiter, has_header, pos: int) -> tuple[str, bool]:
    delim = as_char(optional(delimiter, ","), name, pos)
    return delim, truthy(optional(has_header, True))


def parse_csv(raw: str, delim: str, has_header: bool) -> dict:
    import csv
    import io

    try:
        records = [r for r in csv.reader(io.StringIO(raw, newline=""), delimiter=delim, strict=True) if r]
    except csv.Error as exc:
        raise HypError(f"CSV error: {exc}") from None
    width = None
    for r in records:
        if width is not None and len(r) != width:
            raise HypError(f"CSV error: found record with {len(r)} fields, but the previous record has {width} fields")
        width = len(r)
    headers = records.pop(0) if has_header and records else []
    return {"headers": headers, "rows": records}


@builtin(
    "data",
    "ParseCsv(csv: string, delimiter?: string, hasHeader?: boolean) -> object",
    "Parse CSV text into {headers, rows} (comma and a header line by default)",
)
def _parse_csv(raw, delimiter=None, has_header=None):
    raw = as_string(raw, "ParseCsv", 1)
    delim, header = _csv_options("ParseCsv", delimiter, has_header, 2)
    return parse_csv(raw, delim, header)


def _table(name: str, value) -> tuple[list[str], list[list[str]]]:
    table = as_object(value, name, 1)
    headers = table.get("headers", [])
    rows = table.get("rows", [])
    if type(headers) is not list or type(rows) is not list or any(type(r) is not list for r in rows):
        raise HypTypeError(f"Builtin '{name}' expected a table {{headers: array, rows: array of arrays}} at position 1")
    return [display(h) for h in headers], [[display(c) for c in r] for r in rows]


@builtin(
    "data",
    "ToCsv(table: object, delimiter?: string, hasHeader?: boolean) -> string",
    "CSV text of a {headers, rows} table",
    aliases=("CsvToString",),
)
def _to_csv(table, delimiter=None, has_header=None):
    import csv
    import io

    headers, rows = _table("ToCsv", table)
    delim, header = _csv_options("ToCsv", delimiter, has_header, 2)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delim, lineterminator="\n")
    if header and headers:
        writer.writerow(headers)
    writer.writerows(rows)
    return buf.getvalue()


@builtin(
    "data",
    "CsvSelectColumns(csv: any, columns: string[], delimiter?: string, hasHeader?: boolean) -> object",
    "Keep the named columns of CSV text (or of a parsed table)",
)
def _csv_select_columns(raw, columns, delimiter=None, has_header=None):
    delim, header = _csv_options("CsvSelectColumns", delimiter, has_header, 3)
    if type(raw) is str:
        table = parse_csv(raw, delim, header)
        headers, rows = table["headers"], table["rows"]
    else:
        headers, rows = _table("CsvSelectColumns", raw)
    wanted = [display(c) for c in as_array(columns, "CsvSelectColumns", 2)]
    if not headers:
        return {"headers": [], "rows": rows}
    indices = [headers.index(c) for c in wanted if c in headers]
    return {
        "headers": [headers[i] for i in indices],
        "rows": [[r[i] for i in indices if i < len(r)] for r in rows],
    }
