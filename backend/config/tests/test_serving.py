"""Production serving: the health endpoint and the gunicorn configuration."""

import gc
import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections


@pytest.mark.django_db
def test_health_is_ok_when_the_database_answers(api_client):
    response = api_client.get("/api/health/")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db(transaction=True)
def test_health_is_503_without_details_when_the_database_is_down(api_client):
    settings_dict = connections.settings["default"]
    saved = dict(settings_dict)
    connections["default"].close()
    try:
        if connections["default"].vendor == "postgresql":
            settings_dict["PORT"] = "1"
        else:
            settings_dict["NAME"] = "/nonexistent-directory/db.sqlite3"
        response = api_client.get("/api/health/")
    finally:
        connections["default"].close()
        settings_dict.update(saved)
    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})
    assert api_client.get("/api/health/").status_code == 200


def test_health_needs_no_authentication_and_ignores_bad_tokens(client, db):
    response = client.get("/api/health/", HTTP_AUTHORIZATION="Token wrong")
    assert response.status_code == 200


def test_gunicorn_workers_follow_the_cpu_count(monkeypatch):
    config = Path(settings.PROJECT_DIR) / "gunicorn.conf.py"
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 4)
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    default = runpy.run_path(str(config))
    # One sync worker per CPU, as measured (docs/benchmarks.md).
    assert (default["workers"], default["worker_class"]) == (4, "sync")
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 1)
    assert runpy.run_path(str(config))["workers"] == 2
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    loaded = runpy.run_path(str(config))
    assert (loaded["workers"], loaded["threads"]) == (3, 4)
    assert loaded["worker_class"] == "gthread"
    assert loaded["wsgi_app"] == "config.wsgi:application"
    assert Path(loaded["chdir"]).name == "backend"


@pytest.mark.django_db(transaction=True)
def test_gunicorn_preloads_the_app_and_forks_no_open_connection(monkeypatch):
    config = str(Path(settings.PROJECT_DIR) / "gunicorn.conf.py")
    monkeypatch.setenv("GUNICORN_PRELOAD", "0")
    assert runpy.run_path(config)["preload_app"] is False
    monkeypatch.delenv("GUNICORN_PRELOAD")
    loaded = runpy.run_path(config)
    assert loaded["preload_app"] is True
    connection = connections["default"]
    connection.ensure_connection()
    assert connection.connection is not None

    class Master:
        class cfg:  # gunicorn names it so
            preload_app = True

    # Each worker would share the master's socket: it is closed before a fork.
    try:
        loaded["pre_fork"](Master, None)
        assert connection.connection is None
        # And the master's objects are out of the workers' collections.
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
