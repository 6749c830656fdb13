"""Whether a model server's host is this machine: the test that decides if a prompt may go to
it as is, or only through the Policy Shield gate (ADR 0008).

A host is local when every address its name resolves to is loopback, unspecified (a connection
to 0.0.0.0 or :: reaches this machine) or assigned to this machine. Whether an address is
assigned here is the kernel's answer, not a list of interfaces read at one moment: a UDP socket
connected to the address (connecting a UDP socket sends nothing) is given the address itself as
its source only when the address is one of this machine's own; for any other address the
kernel picks the outgoing interface's address, and an unroutable one fails to connect. An
address on an interface that is down, which traffic would leave the machine to reach, is
therefore not local. A name that does not resolve is not local.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

DEFAULT_HOST = "127.0.0.1"  # the Ollama client's host when none is configured
_DISCARD_PORT = 9  # any port does: nothing is sent

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_FAMILIES = (socket.AF_INET, socket.AF_INET6)


def host_name(host: str | None) -> str:
    """The machine part of an `OLLAMA_HOST`-style value (`[scheme://]host[:port][/path]`),
    parsed as the official Ollama client parses it; the default host when there is none."""
    if not host:
        return DEFAULT_HOST
    scheme, _, rest = host.partition("://")
    if not rest:
        scheme, rest = "http", host
    return urlsplit(f"{scheme}://{rest}").hostname or DEFAULT_HOST


def is_local_host(host: str) -> bool:
    """True when every address `host` (a name or an IP literal, without port) resolves to is
    on this machine; False when it resolves to any other address or does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError):
        return False
    addresses = {(info[0], info[4]) for info in infos if info[0] in _FAMILIES}
    return bool(addresses) and all(_is_own(family, sockaddr) for family, sockaddr in addresses)


def _is_own(family: int, sockaddr: tuple[object, ...]) -> bool:
    address = _address(str(sockaddr[0]))
    if address is None:
        return False
    if address.is_loopback or address.is_unspecified:
        return True
    probe = socket.socket(family, socket.SOCK_DGRAM)
    try:
        probe.connect((str(sockaddr[0]), _DISCARD_PORT, *sockaddr[2:]))
        source = _address(str(probe.getsockname()[0]))
    except OSError:
        return False
    finally:
        probe.close()
    return source == address


def _address(text: str) -> IPAddress | None:
    """The address without its zone, an IPv4-mapped IPv6 address as IPv4."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
