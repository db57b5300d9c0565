"""Fixtures the notifications tests share."""

import pytest


@pytest.fixture
def refusing_server(monkeypatch):
    def refuse(self, messages):
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", refuse
    )
