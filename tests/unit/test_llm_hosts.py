"""Which model hosts are this machine (`chatx.llm.hosts`): loopback, unspecified and this
machine's own addresses are; other addresses and names that do not resolve are not."""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from ollama._client import _parse_host

from chatx.llm.hosts import host_name, is_local_host

NOT_HERE = "10.255.254.253"


def own_addresses() -> list[str]:
    """This machine's non-loopback addresses as iproute2 lists them (independent of the code
    under test, which asks the kernel's routing instead)."""
    if shutil.which("ip") is None:
        return []
    listed = subprocess.run(["ip", "-j", "addr"], capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        return []
    return [
        info["local"]
        for link in json.loads(listed.stdout)
        for info in link.get("addr_info", [])
        if info.get("scope") == "global" and not ipaddress.ip_address(info["local"]).is_loopback
    ]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "localhost", "0.0.0.0", "::"])
def test_loopback_and_unspecified_are_local(host: str) -> None:
    assert is_local_host(host)


def test_this_machines_own_addresses_are_local() -> None:
    addresses = own_addresses()
    if not addresses:
        pytest.skip("this machine lists no non-loopback address (`ip -j addr`)")
    for address in addresses:
        assert is_local_host(address), address


def test_other_addresses_and_unresolvable_names_are_not_local() -> None:
    assert NOT_HERE not in own_addresses()
    assert not is_local_host(NOT_HERE)
    assert not is_local_host("203.0.113.5")
    assert not is_local_host("2001:db8::5")
    assert not is_local_host("gpu-box.invalid")  # RFC 6761: never resolves
    assert not is_local_host("")


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        ":56789",
        "10.0.0.7",
        "10.0.0.7:11434",
        "http://10.0.0.7",
        "https://GPU-Box.example:8443/ollama",
        "gpu-box.example/path",
        "[::1]:11434",
        "http://[fd00::7]:11434",
    ],
)
def test_host_name_is_what_the_ollama_client_connects_to(value: str | None) -> None:
    assert host_name(value) == urlsplit(_parse_host(value)).hostname
