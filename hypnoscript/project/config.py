"""`config/hypnoscript.config.json`: the runtime configuration every project command loads.

The effective configuration is built in layers, later ones winning:

1. the defaults written in the schema (`schemas/config.schema.json`);
2. the file itself (no file means defaults only);
3. the chosen profile, `profiles.<name>`, deep-merged (objects merge key by key, anything else
   replaces), chosen by `--profile` or `HYP_PROFILE`;
4. `HYP_<SECTION>__<KEY>[__<KEY>...]` environment variables (keys matched case-insensitively,
   values parsed as JSON unless the key only takes strings);
5. `${env:NAME}` / `${env:NAME:-default}` references inside strings (`$${` is a literal `${`);
   a string that is nothing but one reference becomes a number or boolean where the schema wants one.

The file is checked twice: as written (a reference stands in for any value, and each profile is
checked on its own), then the effective result, strictly. Every problem is a diagnostic with the
file and the JSON path of the key (`$.gateway.port: expected an integer, got a string`).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping
from functools import cache

from hypnoscript.project import jsonfile
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

CONFIG_FILE = os.path.join("config", "hypnoscript.config.json")
SCHEMA = "config.schema.json"
CODE_INVALID = "HYP5030"
CODE_ENV_UNSET = "HYP5031"
CODE_PROFILE = "HYP5032"
CODE_OVERRIDE = "HYP5033"

MASK = "****"
_REF = re.compile(r"\$(\$?)\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SINGLE_REF = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$")
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_SECRET_WORDS = {"password", "passwd", "pass", "pwd", "secret", "token", "key", "apikey", "credential"}
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@/\s]+)@")


class ConfigError(DiagnosticError):
    """The configuration is unusable; `diagnostics` say where and why."""


class Config(dict):
    """The effective configuration: a plain dict of plain JSON values, plus where it came from."""

    def __init__(self, data: dict, *, path: str, profile: str | None, exists: bool, masked: dict) -> None:
        super().__init__(data)
        self.path = path
        self.profile = profile
        self.exists = exists
        self._masked = masked

    def lookup(self, dotted: str, default: object = None) -> object:
        """`config.lookup("infrastructure.database.url")`."""
        value: object = self
        for part in dotted.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return default
            value = value[part]
        return value

    def masked(self) -> dict:
        """The configuration safe to print: secrets replaced by `****`."""
        return copy.deepcopy(self._masked)


def load_config(project_root: str, profile: str | None = None, env: Mapping[str, str] | None = None, *,
                require_env: bool = True) -> Config:
    """The effective configuration of the project at `project_root`; raises ConfigError.

    With `require_env=False` an unset variable without a default is no error: its reference stays
    in the value as written, and passes any check (for checking profiles meant for elsewhere)."""
    env = os.environ if env is None else env
    path = os.path.join(project_root, CONFIG_FILE)
    chosen = profile or env.get("HYP_PROFILE") or None
    doc = _read(path)
    raw = doc.data if doc is not None else {}
    if doc is not None:
        if not isinstance(raw, dict):
            raise ConfigError([doc.diagnostic(CODE_INVALID, (), "expected an object")])
        problems = check_structure(doc)
        if problems:
            raise ConfigError(problems)
    profiles = raw.get("profiles") or {}
    if chosen is not None and chosen not in profiles and doc is not None:
        known = ", ".join(sorted(profiles)) or "none defined"
        raise ConfigError([Diagnostic(CODE_PROFILE, f"unknown profile \"{chosen}\" (profiles: {known})",
                                      doc.span(("profiles",)), path=path)])
    layered = {k: v for k, v in raw.items() if k not in ("profiles", "$schema")}
    if chosen in profiles:
        layered = deep_merge(layered, profiles[chosen])
    overrides = _env_overrides(env, path)
    for keys, value in overrides:
        _set_path(layered, keys, value, path)
    diags: list[Diagnostic] = []
    resolved = _interpolate(layered, (), env, diags, doc, path, chosen, mask=False)
    if diags and require_env:
        raise ConfigError(diags)
    masked = _interpolate(layered, (), env, [], doc, path, chosen, mask=True)
    schema = jsonfile.schema(SCHEMA)
    effective = apply_defaults(resolved, schema)
    problems = [_locate(doc, path, chosen, overrides, p, m)
                for p, m in jsonfile.violations(schema, effective, None if require_env else _lenient())]
    if problems:
        raise ConfigError(jsonfile.sort(problems))
    return Config(effective, path=path, profile=chosen, exists=doc is not None,
                  masked=_mask(apply_defaults(masked, schema), ()))


def _read(path: str) -> jsonfile.JsonFile | None:
    """The parsed file, or None when there is none."""
    if not os.path.isfile(path):
        return None
    try:
        return jsonfile.read(path, "the configuration file")
    except DiagnosticError as exc:
        raise ConfigError(exc.diagnostics) from None


def check_structure(doc: jsonfile.JsonFile) -> list[Diagnostic]:
    """The file as written: the base and every profile, a reference standing in for any value."""
    schema = jsonfile.schema(SCHEMA)
    found = [doc.diagnostic(CODE_INVALID, p, m) for p, m in jsonfile.violations(schema, doc.data, _lenient())]
    partial = _partial(schema)
    profiles = doc.data.get("profiles") if isinstance(doc.data, dict) else None
    if isinstance(profiles, dict):
        for name, body in profiles.items():
            if isinstance(body, dict):
                prefix = ("profiles", name)
                found += [doc.diagnostic(CODE_INVALID, prefix + p, m)
                          for p, m in jsonfile.violations(partial, body, _lenient())]
    return jsonfile.sort(list({(d.message, d.span): d for d in found}.values()))


def validate_all(project_root: str, env: Mapping[str, str] | None = None,
                 profile: str | None = None) -> tuple[list[Diagnostic], list[str]]:
    """(problems, profiles checked) for `hyp config validate`: the base and each profile in turn.

    The active profile (`profile`, else HYP_PROFILE) must find every variable it references."""
    env = os.environ if env is None else env
    active = profile or env.get("HYP_PROFILE")
    try:
        doc = _read(os.path.join(project_root, CONFIG_FILE))
    except ConfigError as exc:
        return exc.diagnostics, []
    profiles = doc.data.get("profiles") if doc is not None and isinstance(doc.data, dict) else None
    names = sorted(profiles) if isinstance(profiles, dict) else []
    try:
        load_config(project_root, None, {k: v for k, v in env.items() if k != "HYP_PROFILE"})
    except ConfigError as exc:
        return exc.diagnostics, names
    if doc is None:
        return [], []
    problems: list[Diagnostic] = []
    for name in names + ([active] if active and active not in names else []):
        try:
            # a profile for another environment may need variables only that environment sets
            load_config(project_root, name, env, require_env=name == active)
        except ConfigError as exc:
            for d in exc.diagnostics:
                note = f"with profile \"{name}\""
                if note not in d.notes and d.code != CODE_PROFILE:
                    d.notes.append(note)
            problems += exc.diagnostics
    return problems, names


# ---------------------------------------------------------------- layering


def deep_merge(base: object, over: object) -> object:
    """`over` on top of `base`: objects merge key by key, everything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(over)


def apply_defaults(value: object, schema: dict, root: dict | None = None) -> object:
    """Fill in every `default` the schema gives, inside objects, maps and lists too."""
    root = root or schema
    schema = _deref(schema, root)
    if isinstance(value, dict):
        out = dict(value)
        props = schema.get("properties", {})
        for key, sub in props.items():
            sub = _deref(sub, root)
            if key not in out and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
        for key in list(out):
            if key in props:
                out[key] = apply_defaults(out[key], props[key], root)
            elif isinstance(schema.get("additionalProperties"), dict):
                out[key] = apply_defaults(out[key], schema["additionalProperties"], root)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(item, schema["items"], root) for item in value]
    return value


def _deref(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = dict(root["$defs"][ref.split("/")[-1]])
        target.update({k: v for k, v in schema.items() if k != "$ref"})
        return target
    return schema


def _subschema(path: tuple, schema: dict) -> dict | None:
    """The schema of the value at `path`, or None where the schema says nothing."""
    node = schema
    for part in path:
        node = _deref(node, schema)
        if isinstance(part, int):
            node = node.get("items")
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        else:
            node = node.get("additionalProperties")
        if not isinstance(node, dict):
            return None
    return _deref(node, schema)


def _string_only(path: tuple) -> bool:
    sub = _subschema(path, jsonfile.schema(SCHEMA))
    if sub is None:
        return False
    kinds = sub.get("type")
    if kinds is None and "enum" in sub:
        return all(isinstance(v, str) for v in sub["enum"])
    return kinds == "string" or kinds == ["string"]


def _typed(text: str, path: tuple) -> object:
    """An environment value as the schema wants it: JSON where the key takes more than strings."""
    if _string_only(path):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


# ---------------------------------------------------------------- HYP_<SECTION>__<KEY> overrides


def _env_overrides(env: Mapping[str, str], path: str) -> list[tuple[tuple, object]]:
    schema = jsonfile.schema(SCHEMA)
    sections = {name.lower(): name for name in schema["properties"] if name not in ("$schema", "profiles")}
    out = []
    for var in sorted(env):
        if not var.startswith("HYP_") or "__" not in var:
            continue
        parts = var[4:].split("__")
        if any(not p for p in parts):
            raise ConfigError([Diagnostic(CODE_OVERRIDE, f"{var}: empty key in the variable name", path=path)])
        section = sections.get(parts[0].lower())
        if section is None:
            raise ConfigError([Diagnostic(CODE_OVERRIDE, f"{var}: no configuration section \"{parts[0].lower()}\"",
                                          path=path, help="sections: " + ", ".join(sorted(sections.values())))])
        keys = (section,) + tuple(_schema_key(section, parts[1:], schema))
        out.append(((var,) + keys, _typed(env[var], keys)))
    return out


def _schema_key(section: str, parts: list[str], schema: dict) -> list[str]:
    """Map upper-case variable parts onto the schema's camelCase keys where it knows them."""
    keys: list[str] = []
    for part in parts:
        sub = _subschema((section, *keys), schema) or {}
        known = {k.lower(): k for k in sub.get("properties", {})}
        keys.append(known.get(part.lower(), part.lower()))
    return keys


def _set_path(data: dict, var_and_keys: tuple, value: object, path: str) -> None:
    var, *keys = var_and_keys
    node = data
    for key in keys[:-1]:
        match = next((k for k in node if k.lower() == key.lower()), key)
        child = node.get(match)
        if child is None:
            child = node[match] = {}
        if not isinstance(child, dict):
            raise ConfigError([Diagnostic(CODE_OVERRIDE, f"{var}: {jsonfile.json_path(tuple(keys))} cannot be set "
                                                         f"because {match} is not an object", path=path)])
        node = child
    last = next((k for k in node if k.lower() == keys[-1].lower()), keys[-1])
    node[last] = value


# ---------------------------------------------------------------- ${env:NAME} references


def _interpolate(value: object, path: tuple, env: Mapping[str, str], diags: list, doc, file: str,
                 profile: str | None, mask: bool) -> object:
    if isinstance(value, dict):
        return {k: _interpolate(v, path + (k,), env, diags, doc, file, profile, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, path + (i,), env, diags, doc, file, profile, mask) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(m: re.Match) -> str:
        if m.group(1):
            return m.group(0)[1:]  # `$${...}` stays literally `${...}`
        name, default = m.group(2), m.group(3)
        if mask and is_secret(name):
            return MASK
        if name in env:
            return env[name]
        if default is not None:
            return default
        span = _span_for(doc, profile, path)
        diags.append(Diagnostic(CODE_ENV_UNSET, f"{jsonfile.json_path(path)}: environment variable {name} is not set",
                                span, path=file, help=f"set {name}, or give a default: ${{env:{name}:-value}}"))
        return m.group(0)

    single = _SINGLE_REF.match(value)
    text = _REF.sub(substitute, value)
    if single and text != MASK and text != value:
        return _typed(text, path)
    return text


def is_secret(name: str) -> bool:
    """Keys and variables named like a secret: `password`, `bindPassword`, `apiKey`, `DB_TOKEN`, `keys`."""
    words = _WORDS.findall(name)
    last = words[-1].lower() if words else ""
    return last in _SECRET_WORDS or (last.endswith("s") and last[:-1] in _SECRET_WORDS)


def _mask(value: object, path: tuple, secret: bool = False) -> object:
    if isinstance(value, dict):
        return {k: _mask(v, path + (k,), secret or is_secret(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, path + (i,), secret) for i, v in enumerate(value)]
    if secret and isinstance(value, (str, int, float)) and not isinstance(value, bool) and value != "":
        return MASK
    if isinstance(value, str):
        return _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", value)
    return value


# ---------------------------------------------------------------- locating problems


def _span_for(doc, profile: str | None, path: tuple):
    if doc is None:
        return None
    if profile is not None and _has_path(doc.data, ("profiles", profile) + path):
        return doc.span(("profiles", profile) + path)
    return doc.span(path)


def _has_path(data: object, path: tuple) -> bool:
    for part in path:
        in_object = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (in_object or in_list):
            return False
        data = data[part]
    return True


def _locate(doc, file: str, profile: str | None, overrides: list, path: tuple, message: str) -> Diagnostic:
    """A problem in the effective configuration, pointing at the layer its value came from."""
    for var_and_keys, _ in overrides:
        keys = var_and_keys[1:]
        if path[:len(keys)] == keys or keys[:len(path)] == path:
            return Diagnostic(CODE_INVALID, f"{jsonfile.json_path(path)}: {message} (set by {var_and_keys[0]})",
                              path=file)
    notes = [f"with profile \"{profile}\""] if profile and _has_path(doc.data if doc else {},
                                                                      ("profiles", profile) + path) else []
    return Diagnostic(CODE_INVALID, f"{jsonfile.json_path(path)}: {message}", _span_for(doc, profile, path),
                      path=file, notes=notes)


# ---------------------------------------------------------------- the lenient validator


@cache
def _lenient():
    """A validator for the file as written: a string holding `${env:...}` passes any value check."""
    from jsonschema import Draft202012Validator, validators

    def tolerant(name):
        original = Draft202012Validator.VALIDATORS[name]

        def check(validator, value, instance, schema):
            if isinstance(instance, str) and _REF.search(instance):
                return
            yield from original(validator, value, instance, schema)

        return check

    names = ("type", "enum", "const", "pattern", "minLength", "minimum", "maximum", "exclusiveMinimum",
             "exclusiveMaximum")
    return validators.extend(Draft202012Validator, {n: tolerant(n) for n in names})


def _partial(schema: dict) -> dict:
    """The schema for a profile: like the file's, minus `profiles` and the keys every object requires
    (a profile only says what changes); list items stay complete, since a list replaces a list."""

    def strip(node: object) -> object:
        if not isinstance(node, dict):
            return node
        out = {k: v for k, v in node.items() if k not in ("required", "default")}
        if "properties" in out:
            out["properties"] = {k: strip(v) for k, v in out["properties"].items()}
        if isinstance(out.get("additionalProperties"), dict):
            out["additionalProperties"] = strip(out["additionalProperties"])
        return out

    partial = strip(copy.deepcopy(schema))
    partial["properties"].pop("profiles", None)
    partial["$defs"] = schema["$defs"]
    return partial
