"""config/hypnoscript.config.json: layering (defaults, file, profile, environment) and validation."""

from __future__ import annotations

import json

import pytest

from hypnoscript.project.config import ConfigError, deep_merge, is_secret, load_config, validate_all

from .helpers import manifest, write

SERVICE = {"module": "modules/api.hyp", "routes": [{"method": "GET", "path": "/items", "handler": "listItems"}]}


def configure(root, data) -> None:
    manifest(root)
    write(root / "config" / "hypnoscript.config.json", data if isinstance(data, str) else json.dumps(data, indent=2))


def errors(root, profile=None, env=None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(str(root), profile, env or {})
    return [d.message for d in info.value.diagnostics]


def test_no_file_means_the_defaults(tmp_path):
    manifest(tmp_path)
    config = load_config(str(tmp_path), env={})
    assert not config.exists
    assert config.lookup("infrastructure.database.url") == "sqlite:///data/app.db"
    assert config.lookup("infrastructure.cache.url") == "memory://"
    assert config.lookup("infrastructure.messaging.url") == "sqlite:///data/queue.db"
    assert config.lookup("observability.tracing.exporter") == "none"
    assert config.lookup("observability.logging.level") == "info"
    assert config["services"] == {} and config.lookup("lint.disable") == []
    assert config.lookup("no.such.key", "fallback") == "fallback"


def test_file_values_and_nested_defaults(tmp_path):
    configure(tmp_path, {"services": {"api": SERVICE}, "gateway": {"port": 9000}})
    config = load_config(str(tmp_path), env={})
    route = config["services"]["api"]["routes"][0]
    assert route == {"method": "GET", "path": "/items", "handler": "listItems", "auth": "none", "roles": [],
                     "timeout": 30, "rateLimitKey": "ip"}
    assert config["services"]["api"]["events"] == []
    assert config.lookup("gateway.port") == 9000 and config.lookup("gateway.host") == "0.0.0.0"
    assert "profiles" not in config


def test_profile_is_deep_merged(tmp_path):
    configure(tmp_path, {
        "services": {"api": SERVICE},
        "observability": {"logging": {"format": "text", "level": "debug"}},
        "profiles": {"prod": {"observability": {"logging": {"level": "warning"}},
                              "services": {"api": {"routes": [{"method": "POST", "path": "/x", "handler": "x"}]}}}},
    })
    base = load_config(str(tmp_path), env={})
    prod = load_config(str(tmp_path), "prod", env={})
    assert base.lookup("observability.logging.level") == "debug"
    assert prod.lookup("observability.logging") == {"format": "text", "level": "warning"}
    assert prod["services"]["api"]["module"] == "modules/api.hyp"  # kept from the base
    assert [r["path"] for r in prod["services"]["api"]["routes"]] == ["/x"]  # lists are replaced
    assert prod.profile == "prod"
    assert load_config(str(tmp_path), env={"HYP_PROFILE": "prod"}).profile == "prod"


def test_unknown_profile(tmp_path):
    configure(tmp_path, {"profiles": {"prod": {}, "staging": {}}})
    assert errors(tmp_path, "qa") == ['unknown profile "qa" (profiles: prod, staging)']
    assert errors(tmp_path, env={"HYP_PROFILE": "qa"})[0].startswith('unknown profile "qa"')


def test_environment_overrides(tmp_path):
    configure(tmp_path, {"gateway": {"port": 9000, "rateLimits": [{"limit": "5/second"}]}})
    env = {"HYP_GATEWAY__PORT": "7000", "HYP_INFRASTRUCTURE__DATABASE__URL": "postgresql://db/app",
           "HYP_GATEWAY__LOADBALANCING": "random", "HYP_SECURITY__AUTH__JWT__SECRET": "12345",
           "HYP_LINT__DISABLE": '["HYP3001"]', "HYP_OBSERVABILITY__METRICS__ENABLED": "false",
           "HYP_CACHE_DIR": "/ignored", "HYP_PROFILE": ""}
    config = load_config(str(tmp_path), env=env)
    assert config.lookup("gateway.port") == 7000
    assert config.lookup("gateway.rateLimits") == [{"limit": "5/second", "key": "ip"}]
    assert config.lookup("gateway.loadBalancing") == "random"  # matched to the camelCase key
    assert config.lookup("infrastructure.database.url") == "postgresql://db/app"
    assert config.lookup("security.auth.jwt.secret") == "12345"  # a string key keeps digits as text
    assert config.lookup("lint.disable") == ["HYP3001"]
    assert config.lookup("observability.metrics.enabled") is False


def test_environment_override_problems(tmp_path):
    configure(tmp_path, {})
    assert errors(tmp_path, env={"HYP_GATEWAY__PORT": "many"}) == \
        ["$.gateway.port: expected an integer, got a string (set by HYP_GATEWAY__PORT)"]
    found = errors(tmp_path, env={"HYP_NOPE__X": "1"})
    assert found == ['HYP_NOPE__X: no configuration section "nope"']
    assert errors(tmp_path, env={"HYP_GATEWAY__PORT__X": "1"}) == \
        ["$.gateway.port: expected an integer, got an object (set by HYP_GATEWAY__PORT__X)"]


def test_env_references(tmp_path):
    configure(tmp_path, {
        "gateway": {"port": "${env:PORT:-8081}", "host": "${env:HOST}"},
        "infrastructure": {"database": {"url": "postgresql://app:${env:DB_PASSWORD}@db/app"}},
        "security": {"auth": {"jwt": {"secret": "${env:JWT_SECRET:-dev}", "issuer": "$${env:literal}"}}},
    })
    env = {"HOST": "127.0.0.1", "DB_PASSWORD": "hunter2"}
    config = load_config(str(tmp_path), env=env)
    assert config.lookup("gateway.port") == 8081  # a lone reference takes the key's type
    assert config.lookup("gateway.host") == "127.0.0.1"
    assert config.lookup("infrastructure.database.url") == "postgresql://app:hunter2@db/app"
    assert config.lookup("security.auth.jwt.secret") == "dev"
    assert config.lookup("security.auth.jwt.issuer") == "${env:literal}"
    assert load_config(str(tmp_path), env={**env, "PORT": "9"}).lookup("gateway.port") == 9


def test_unset_env_reference_points_at_the_value(tmp_path):
    configure(tmp_path, '{\n  "gateway": {\n    "host": "${env:HOST}"\n  }\n}')
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path), env={})
    d = info.value.diagnostics[0]
    assert d.code == "HYP5031" and d.message == "$.gateway.host: environment variable HOST is not set"
    assert (d.span.line, d.span.col) == (3, 5)
    assert d.path.endswith("config/hypnoscript.config.json")


@pytest.mark.parametrize("data, expected", [
    ({"gateway": {"port": "x"}}, "$.gateway.port: expected an integer, got a string"),
    ({"gateway": {"port": 70000}}, "$.gateway.port: must be <= 65535, got 70000"),
    ({"gateway": {"prot": 1}}, "$.gateway.prot: unknown key"),
    ({"gateway": {"loadBalancing": "fastest"}}, '$.gateway.loadBalancing: expected one of "round_robin"'),
    ({"gateway": {"routes": [{"prefix": "api", "service": "a"}]}},
     "$.gateway.routes[0].prefix: expected a path prefix"),
    ({"gateway": {"rateLimits": [{"limit": "lots"}]}}, "$.gateway.rateLimits[0].limit: expected a rate"),
    ({"services": {"api": {}}}, '$.services.api: missing required key "module"'),
    ({"services": {"api": {"module": "api.py"}}}, "$.services.api.module: expected the path of a .hyp file"),
    ({"services": {"9api": SERVICE}}, '$.services["9api"]: invalid name'),
    ({"services": {"api": {**SERVICE, "routes": [{"method": "FETCH", "path": "/", "handler": "h"}]}}},
     '$.services.api.routes[0].method: expected one of "GET"'),
    ({"services": {"api": {**SERVICE, "routes": [{"method": "GET", "path": "items", "handler": "h"}]}}},
     "$.services.api.routes[0].path: expected a path starting with `/`"),
    ({"services": {"api": {**SERVICE, "routes": [{"method": "GET", "path": "/", "handler": "a-b"}]}}},
     "$.services.api.routes[0].handler: expected the name of a suggestion"),
    ({"services": {"api": {**SERVICE, "routes": [{"method": "GET", "path": "/", "handler": "h", "timeout": 0}]}}},
     "$.services.api.routes[0].timeout: must be > 0"),
    ({"services": {"api": {**SERVICE, "routes": [{"method": "GET", "path": "/"}]}}},
     '$.services.api.routes[0]: missing required key "handler"'),
    ({"services": {"api": {**SERVICE, "events": [{"topic": "a..b", "handler": "h"}]}}},
     "$.services.api.events[0].topic: expected a topic"),
    ({"services": {"api": {**SERVICE, "events": [{"topic": "a.b", "handler": "h", "attempts": 0}]}}},
     "$.services.api.events[0].attempts: must be >= 1, got 0"),
    ({"services": {"api": {**SERVICE, "schedules": [{"handler": "h"}]}}},
     '$.services.api.schedules[0]: a schedule needs exactly one of "every" (or "interval") and "cron"'),
    ({"services": {"api": {**SERVICE, "schedules": [{"handler": "h", "interval": "5m", "cron": "* * * * *"}]}}},
     '$.services.api.schedules[0]: a schedule needs exactly one of "every" (or "interval") and "cron"'),
    ({"services": {"api": {**SERVICE, "schedules": [{"handler": "h", "interval": "soon"}]}}},
     "$.services.api.schedules[0].interval: expected seconds as a number, or a duration"),
    ({"services": {"api": {**SERVICE, "schedules": [{"handler": "h", "cron": "daily"}]}}},
     "$.services.api.schedules[0].cron: expected a cron expression"),
    ({"infrastructure": {"database": {"url": "oracle://x"}}},
     "$.infrastructure.database.url: expected a sqlite://, postgresql:// or mysql:// URL"),
    ({"infrastructure": {"cache": {"url": "memcached://x"}}}, "$.infrastructure.cache.url: expected memory://"),
    ({"infrastructure": {"messaging": {"url": "kafka://x"}}}, "$.infrastructure.messaging.url: expected a sqlite://"),
    ({"observability": {"logging": {"level": "loud"}}}, '$.observability.logging.level: expected one of "debug"'),
    ({"observability": {"tracing": {"exporter": "jaeger"}}},
     '$.observability.tracing.exporter: expected one of "none"'),
    ({"observability": {"tracing": {"sampling": 2}}}, "$.observability.tracing.sampling: must be <= 1, got 2"),
    ({"observability": {"metrics": {"path": "metrics"}}}, "$.observability.metrics.path: "),
    ({"security": {"auth": {"jwt": {"algorithms": ["none"]}}}}, "$.security.auth.jwt.algorithms[0]: expected one of"),
    ({"security": {"auth": {"ldap": {}}}}, '$.security.auth.ldap: missing required key "url"'),
    ({"security": {"auth": {"oidc": {"issuer": "example.org"}}}}, "$.security.auth.oidc.issuer: expected an http://"),
    ({"security": {"tls": {"cert": "c.pem"}}}, '$.security.tls: missing required key "key"'),
    ({"security": {"audit": {"sink": "syslog"}}}, "$.security.audit.sink: expected \"stdout\""),
    ({"security": {"capabilities": {"api": {"files": "data"}}}}, "$.security.capabilities.api.files: expected a list"),
    ({"security": {"limits": {"maxRecursion": 0}}}, "$.security.limits.maxRecursion: must be >= 1, got 0"),
    ({"lint": {"disable": "HYP3001"}}, "$.lint.disable: expected a list, got a string"),
    ({"lint": {"enable": []}}, "$.lint.enable: unknown key"),
    ({"extras": {}}, "$.extras: unknown key"),
    ({"profiles": {"prod": {"gateway": {"port": "x"}}}}, "$.profiles.prod.gateway.port: expected an integer"),
    ({"profiles": {"prod": {"nope": 1}}}, "$.profiles.prod.nope: unknown key"),
    ({"profiles": {"prod": 3}}, "$.profiles.prod: expected an object, got a number"),
])
def test_every_validation_error_names_its_key(tmp_path, data, expected):
    configure(tmp_path, data)
    found = errors(tmp_path)
    assert any(m.startswith(expected) for m in found), found
    assert all(m.startswith("$") for m in found)


def test_invalid_json_has_a_position(tmp_path):
    configure(tmp_path, '{\n  "gateway": {"port": 80,}\n}')
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path), env={})
    d = info.value.diagnostics[0]
    assert d.code == "HYP5011" and (d.span.line, d.span.col) == (2, 26)


def test_profile_may_leave_out_required_keys(tmp_path):
    configure(tmp_path, {"services": {"api": SERVICE},
                         "profiles": {"prod": {"services": {"api": {"description": "production"}}}}})
    assert load_config(str(tmp_path), "prod", env={})["services"]["api"]["module"] == "modules/api.hyp"


def test_validate_all_checks_every_profile(tmp_path):
    configure(tmp_path, {"profiles": {"prod": {"security": {"auth": {"jwt": {"secret": "${env:JWT_SECRET}"}}}},
                                      "bad": {"gateway": {"port": 0}}}})
    problems, profiles = validate_all(str(tmp_path), env={})
    assert profiles == ["bad", "prod"]
    assert [d.message for d in problems] == ["$.profiles.bad.gateway.port: must be >= 1, got 0"]
    # the active profile must find its variables
    configure(tmp_path, {"profiles": {"prod": {"security": {"auth": {"jwt": {"secret": "${env:JWT_SECRET}"}}}}}})
    assert validate_all(str(tmp_path), env={}) == ([], ["prod"])
    problems, _ = validate_all(str(tmp_path), env={}, profile="prod")
    assert "environment variable JWT_SECRET is not set" in " ".join(d.message for d in problems)


def test_masking(tmp_path):
    configure(tmp_path, {
        "infrastructure": {"database": {"url": "postgresql://app:${env:DB_PASSWORD}@db/app"},
                           "cache": {"url": "redis://:plain@cache:6379"}},
        "security": {"auth": {"jwt": {"secret": "s3cret", "issuer": "${env:ISSUER_TOKEN}"},
                              "ldap": {"url": "ldap://x", "bindPassword": "pw"}}},
    })
    config = load_config(str(tmp_path), env={"DB_PASSWORD": "hunter2", "ISSUER_TOKEN": "tok"})
    masked = config.masked()
    assert config.lookup("security.auth.jwt.secret") == "s3cret"
    assert masked["security"]["auth"]["jwt"]["secret"] == "****"
    assert masked["security"]["auth"]["jwt"]["issuer"] == "****"  # from a secret-named variable
    assert masked["security"]["auth"]["ldap"]["bindPassword"] == "****"
    assert masked["infrastructure"]["database"]["url"] == "postgresql://app:****@db/app"
    assert masked["infrastructure"]["cache"]["url"] == "redis://:****@cache:6379"
    assert "hunter2" not in json.dumps(masked) and "s3cret" not in json.dumps(masked)


def test_secret_names():
    assert all(map(is_secret, ["password", "bindPassword", "apiKey", "DB_PASSWORD", "keys", "token", "secret"]))
    assert not any(map(is_secret, ["monkey", "jwksUrl", "hash", "keyboardLayout", "issuer"]))


def test_deep_merge():
    assert deep_merge({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2], "e": 3}}) == \
        {"a": {"b": 1, "c": [2], "e": 3}, "d": 1}


def test_config_commands(tmp_path, hyp, monkeypatch):
    configure(tmp_path, {"gateway": {"port": 9000},
                         "security": {"auth": {"jwt": {"secret": "${env:JWT_SECRET:-dev-secret}"}}},
                         "profiles": {"prod": {"gateway": {"port": 443}}}})
    r = hyp("config", "validate", cwd=tmp_path)
    assert (r.code, r.out) == (0, "✅ config/hypnoscript.config.json is valid (profiles: prod)\n")
    show = hyp("config", "show")
    assert show.code == 0
    assert "gateway.port = 9000" in show.out and 'security.auth.jwt.secret = "****"' in show.out
    assert "dev-secret" not in show.out
    data = json.loads(hyp("config", "show", "--profile", "prod", "--json").out)
    assert data["gateway"]["port"] == 443
    monkeypatch.setenv("HYP_GATEWAY__PORT", "oops")
    bad = hyp("config", "show")
    assert bad.code == 1 and "set by HYP_GATEWAY__PORT" in bad.err
    monkeypatch.delenv("HYP_GATEWAY__PORT")
    write(tmp_path / "config" / "hypnoscript.config.json", '{"gateway": {"port": "x"}}')
    bad = hyp("config", "validate")
    assert bad.code == 1 and "$.gateway.port: expected an integer, got a string" in bad.err
    assert "hypnoscript.config.json:1:14" in bad.err


def test_config_commands_without_a_file(tmp_path, hyp):
    manifest(tmp_path)
    r = hyp("config", "validate", cwd=tmp_path)
    assert r.code == 0 and "the defaults apply" in r.out
    assert 'infrastructure.cache.url = "memory://"' in hyp("config", "show").out
