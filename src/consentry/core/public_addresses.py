"""Which network addresses a webhook may reach: public ones only (decision 080).

A webhook URL is typed by an admin, and the worker posts to it from inside the deployment's
network, so an address that is not on the public internet would let a subscription reach
what only the deployment can: a database, an admin page, the cloud's metadata service
(169.254.169.254). ``is_public`` says no to every address the ``ipaddress`` module knows as
private, loopback, link-local, multicast, reserved or unspecified, to shared address space
(100.64.0.0/10), and to the IPv6 forms that carry an IPv4 address (IPv4-mapped, 6to4,
NAT64) unless the address they carry is public; Teredo tunnels are refused outright.

``literal_address`` reads the host of a URL as an address when it is one, including the old
IPv4 spellings a resolver still accepts (``2130706433``, ``0x7f.1``, ``127.1``).
"""

from __future__ import annotations

import ipaddress
import re
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  #: carrier-grade NAT, not the internet
#: a last label no domain name has (no top-level domain is a number): an IPv4 spelling
_NUMERIC = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
LOCAL_NAMES = ("localhost",)  #: names that are this machine whatever DNS says (RFC 6761)


def is_public(address: str) -> bool:
    """True for an address on the public internet; False for anything else, or not an address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None:
            return False
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return is_public(str(inner))
    elif ip in _SHARED:
        return False
    closed = (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified
    )  # fmt: skip
    return ip.is_global and not closed


def is_local_name(host: str) -> bool:
    """True for ``localhost`` and the names below it (``api.localhost``)."""
    name = host.rstrip(".").lower()
    return any(name == n or name.endswith("." + n) for n in LOCAL_NAMES)


def literal_address(host: str) -> Address | None:
    """The address a URL's host spells (``[::1]`` without brackets), or None for a name.

    Raises ``ValueError`` for a host that looks like an IPv4 address and is not one.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    name = host.rstrip(".").lower()
    if not _NUMERIC.match(name.rsplit(".", 1)[-1]):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(name))
    except OSError:
        raise ValueError(f"{host!r} is neither a host name nor an address") from None
