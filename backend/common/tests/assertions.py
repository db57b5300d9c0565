"""Test helpers shared by every app: the API's error body, the admin's messages."""

from django.contrib.messages import get_messages


def assert_error(response, status_code, code):
    assert response.status_code == status_code, response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def admin_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]
