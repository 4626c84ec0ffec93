"""The URL guard of outbound webhooks (decision 080): a subscription never names a host that
is not on the public internet, unless the deployment allows private networks."""

from __future__ import annotations

import pytest

from consentry.core.errors import InvalidWebhookUrl, WebhookUrlNotPublic
from consentry.core.public_addresses import is_local_name, is_public, literal_address
from consentry.core.webhooks import check_url

CLOSED = [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "233.1.1.1", "240.0.0.1", "255.255.255.255",
    "192.0.2.1", "198.18.0.1", "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12::1",
    "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",
    "2002:7f00:1::", "2002:a9fe:a9fe::1", "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2", "::1.2.3.4", "2001:db8::1", "not an address",
]  # fmt: skip
OPEN = ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"]


@pytest.mark.parametrize("address", CLOSED)
def test_addresses_not_on_the_internet_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", OPEN)
def test_internet_addresses_are_public(address):
    assert is_public(address)


@pytest.mark.parametrize(
    ("host", "spelled"),
    [
        ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("0251.0376.0251.0376", "169.254.169.254"),
        ("10.0.0.1.", "10.0.0.1"),
    ],
)  # fmt: skip
def test_a_host_spelling_an_address_is_read_as_one(host, spelled):
    address = literal_address(host)
    assert address is not None and str(address) == spelled


def test_names_are_not_addresses_and_a_broken_number_is_refused():
    assert literal_address("crm.example.com") is None
    assert literal_address("a1.example.com") is None
    with pytest.raises(ValueError):
        literal_address("1.2.3.4.5")


def test_localhost_and_the_names_below_it_are_local():
    assert is_local_name("localhost") and is_local_name("API.localhost.")
    assert not is_local_name("localhost.example.com") and not is_local_name("mylocalhost")


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/h", "https://10.0.0.8:8443/h", "https://169.254.169.254/latest",
        "https://[::1]/h", "https://[::ffff:169.254.169.254]/h", "https://[fe80::1]/h",
        "https://2130706433/h", "https://0x7f.1/h", "https://localhost/h",
        "https://hooks.localhost/h", "http://127.0.0.1:8080/h", "http://localhost/h",
        "https://[2002:a9fe:a9fe::]/h", "https://224.0.0.1/h", "https://0.0.0.0/h",
    ],
)  # fmt: skip
def test_a_url_to_a_private_network_is_refused(url):
    with pytest.raises(WebhookUrlNotPublic) as refused:
        check_url(url)
    assert refused.value.code == "webhook_url_not_public"
    assert isinstance(refused.value, InvalidWebhookUrl)  # a kind of invalid URL


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/h", "http://127.0.0.1:8080/h", "https://10.0.0.8/h"]
)
def test_a_deployment_that_allows_private_networks_takes_them(url):
    assert check_url(url, allow_private=True) == url


def test_public_urls_pass_and_plain_http_stays_refused():
    assert check_url("https://crm.example.com/h") == "https://crm.example.com/h"
    assert check_url("https://8.8.8.8/h") == "https://8.8.8.8/h"
    with pytest.raises(InvalidWebhookUrl) as plain:
        check_url("http://8.8.8.8/h")
    assert plain.value.code == "invalid_webhook_url"
    with pytest.raises(InvalidWebhookUrl) as broken:
        check_url("https://1.2.3.4.5/h")
    assert broken.value.code == "invalid_webhook_url"
