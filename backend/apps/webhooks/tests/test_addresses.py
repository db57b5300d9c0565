"""Where webhooks may go: public addresses only (SSRF), checked on save and
again on every send, after resolving the name, on the address connected to."""

import ipaddress

import pytest

from apps.webhooks import addresses
from apps.webhooks.exceptions import WebhookUrlNotAllowed
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.sending import webhooks_send_due
from apps.webhooks.services import webhook_endpoint_create
from apps.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db

# Documentation addresses (RFC 5737) stand in for a public host: nothing
# here connects to them.
PUBLIC = "8.8.8.8"


@pytest.fixture
def dns(monkeypatch):
    """A resolver the test controls: name -> addresses."""
    table = {}

    def resolve(host, port):
        if host not in table:
            raise OSError("no such name")
        return list(table[host])

    monkeypatch.setattr(addresses, "resolve", resolve)
    return table


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("10.0.0.1", False),
        ("127.0.0.1", False),
        ("::1", False),
        ("169.254.169.254", False),  # cloud metadata (link-local)
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("224.0.0.1", False),  # multicast
        ("240.0.0.1", False),  # reserved
        ("0.0.0.0", False),
        ("::ffff:10.0.0.1", False),  # IPv4-mapped private
        ("fc00::1", False),
        ("fe80::1", False),
    ],
)
def test_only_public_addresses_are_public(address, public):
    assert addresses.is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "https://10.0.0.1/hook",
        "http://127.0.0.1:8000/",
        "http://[::1]/",
        "http://inside.example.test/hook",  # resolves to 127.0.0.1
        "http://mixed.example.test/hook",  # one public, one private address
    ],
)
def test_a_url_reaching_inside_is_refused_on_save(manager_client, dns, url):
    dns["inside.example.test"] = ["127.0.0.1"]
    dns["mixed.example.test"] = [PUBLIC, "10.1.2.3"]
    response = manager_client.post(
        "/api/webhooks/", {"url": url, "events": ["booking.created"]}
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "webhook_url_not_allowed"
    assert "url" in body["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_localhost_by_name_is_refused(manager_client):
    # The real resolver: localhost is 127.0.0.1 (and ::1) on every machine.
    response = manager_client.post(
        "/api/webhooks/", {"url": "http://localhost/x", "events": ["booking.created"]}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "webhook_url_not_allowed"


@pytest.mark.parametrize(
    "url",
    ["ftp://example.test/", "http://user:pw@example.test/", "not a url", "http:///x"],
)
def test_other_bad_urls_are_refused(manager_client, dns, url):
    dns["example.test"] = [PUBLIC]
    response = manager_client.post(
        "/api/webhooks/", {"url": url, "events": ["booking.created"]}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "webhook_url_not_allowed"


def test_the_dev_setting_allows_loopback(manager_client, allow_loopback):
    response = manager_client.post(
        "/api/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "events": ["booking.created"]},
    )
    assert response.status_code == 201


def test_production_requires_https(settings, dns):
    # config.settings.prod turns it on (config/tests/test_settings.py).
    dns["hooks.example.test"] = [PUBLIC]
    settings.BOOKING_WEBHOOK_REQUIRE_HTTPS = True
    with pytest.raises(WebhookUrlNotAllowed, match="https"):
        addresses.check_url("http://hooks.example.test/in")
    target = addresses.check_url("https://hooks.example.test/in?x=1")
    assert (target.address, target.port, target.path) == (PUBLIC, 443, "/in?x=1")


def test_a_name_repointed_inside_after_saving_is_not_sent_to(dns, booking, settings):
    """DNS rebinding: public when saved, loopback when sending. The check on
    sending refuses it, and no request reaches the loopback receiver."""
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        dns["rebind.example.test"] = [PUBLIC]
        endpoint = webhook_endpoint_create(
            url=f"http://rebind.example.test:{port}/hooks",
            events=["booking.confirmed"],
        )
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type="booking.confirmed",
            body="{}",
            retry_until=booking.created_at.replace(year=2100),
        )
        dns["rebind.example.test"] = ["127.0.0.1"]
        result = webhooks_send_due()
    assert receiver.received == []
    assert result.retried == 1
    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert attempt.status_code is None
    assert "127.0.0.1" in attempt.error and "not a public address" in attempt.error


def test_the_sender_connects_to_the_address_it_checked(dns, monkeypatch):
    """Resolved once, checked, and that very address connected to: a second
    lookup (which could answer differently) never happens."""
    lookups = []
    dns["once.example.test"] = [PUBLIC]
    original = addresses.resolve

    def counting(host, port):
        lookups.append(host)
        return original(host, port)

    monkeypatch.setattr(addresses, "resolve", counting)
    target = addresses.check_url("http://once.example.test/")
    assert target.address == PUBLIC and lookups == ["once.example.test"]
