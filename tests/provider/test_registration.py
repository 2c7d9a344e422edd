"""The package registers with Airflow as a provider (connection type) and as a plugin, once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _airflow_json(*args: str) -> list[dict]:
    env = dict(os.environ, AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"))
    airflow = str(Path(sys.executable).with_name("airflow"))
    out = subprocess.run([airflow, *args, "-o", "json"], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def test_connection_type_is_registered():
    hooks = _airflow_json("providers", "hooks")
    mine = [h for h in hooks if h.get("connection_type") == "quickbooks"]
    assert len(mine) == 1
    assert mine[0]["class"] == "qbo_sync.hooks.quickbooks.QuickBooksHook"


def test_plugin_loads_exactly_once():
    names = [p["name"] for p in _airflow_json("plugins")]
    assert names.count("qbo_sync") == 1


def test_connection_form_fields():
    from airflow.providers_manager import ProvidersManager

    pm = ProvidersManager()
    widgets = pm.connection_form_widgets
    for field in ("realm_id", "environment", "redirect_uri", "minor_version"):
        assert f"extra__quickbooks__{field}" in widgets, field
    env_schema = widgets["extra__quickbooks__environment"].field["schema"]
    assert env_schema["enum"] == ["sandbox", "production", "local"]
    behaviour = pm.field_behaviours["quickbooks"]
    assert behaviour["relabeling"] == {
        "login": "Client ID",
        "password": "Client Secret",
        "host": "Base URL (optional)",
    }
    assert "port" in behaviour["hidden_fields"]


@pytest.mark.parametrize(
    ("environment", "host", "expected"),
    [
        ("sandbox", None, "https://sandbox-quickbooks.api.intuit.com"),
        ("production", None, "https://quickbooks.api.intuit.com"),
        ("local", None, "http://127.0.0.1:8765"),
        ("local", "127.0.0.1", "http://127.0.0.1"),
        ("production", "https://qbo.example.test/", "https://qbo.example.test"),
    ],
)
def test_base_url_follows_environment_unless_set(environment, host, expected):
    from qbo_sync.settings import settings_from_parts

    s = settings_from_parts(
        "qb", login="id", password="secret", host=host, extra={"environment": environment}
    )
    assert s.base_url == expected
    assert s.environment == environment


def test_prefixed_extra_fields_and_secret_not_in_repr():
    from qbo_sync.settings import settings_from_parts

    extra = {"extra__quickbooks__realm_id": "123", "extra__quickbooks__environment": "production"}
    s = settings_from_parts("qb", login="id", password="s3cr3t-value", host=None, extra=json.dumps(extra))
    assert (s.realm_id, s.environment, s.minor_version) == ("123", "production", 75)
    assert "s3cr3t-value" not in repr(s)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"login": None, "password": "x", "extra": {}}, "Client ID (login) is empty"),
        ({"login": "x", "password": "", "extra": {}}, "Client Secret (password) is empty"),
        ({"login": "x", "password": "y", "extra": {"environment": "staging"}}, "Environment must be one of"),
        ({"login": "x", "password": "y", "extra": "{not json"}, "Extra is not valid JSON"),
    ],
)
def test_unusable_connection_says_what_to_fix(parts, message):
    from qbo_sync.settings import ConnectionConfigError, settings_from_parts

    with pytest.raises(ConnectionConfigError, match=re.escape(message)):
        settings_from_parts("quickbooks_default", host=None, **parts)


def test_missing_realm_tells_how_to_connect():
    from qbo_sync.settings import ConnectionConfigError, settings_from_parts

    s = settings_from_parts("quickbooks_default", login="x", password="y", host=None, extra={})
    with pytest.raises(ConnectionConfigError, match="no Realm ID: connect the QuickBooks company first"):
        s.require_realm()
