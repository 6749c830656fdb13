"""`chatx ask --backend local` with `OLLAMA_HOST` on another machine: a stand-in Ollama server
runs in a network namespace of its own, reached over a veth pair like a host on the LAN. It
must receive only what passes the Policy Shield gate (or, with `remoteModels = forbid`,
nothing at all); the user's own view gets the pseudonyms revealed.

Needs root (or CAP_NET_ADMIN) and iproute2; skips with the reason otherwise.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tests.clirun import chatx, indexed_example, schema

from chatx.index.indexer import state_dir
from chatx.llm.hosts import is_local_host
from chatx.llm.ledger import Ledger

REPO = Path(__file__).resolve().parents[2]
NAME = "Ingrid Solvang"
EMAIL = "ingrid.solvang@fjord-bank.example"
CARD = "4111 1111 1111 1111"
IBAN = "DE89 3704 0044 0532 0130 00"
PHONE = "+44 20 7946 0958"
IP = "10.0.4.17"
# Nobody listed these: the name model, the address and the national-id detectors find them.
THIRD_PARTY = "Klaus Petersen"
ADDRESS = "Gartenweg 12, 10115 Berlin"
SSN = "536-90-4399"
QUESTION = (
    f"{NAME} asked how we roll back a failed deploy. Her card {CARD}, IBAN {IBAN}, "
    f"mail {EMAIL}, phone {PHONE}, the box at {IP}. {THIRD_PARTY} lives at {ADDRESS}, "
    f"SSN {SSN}."
)
ANSWER = "Roll back with `helm rollback orders 41` [1]."
# Raw values, compared case-insensitively: the labelled ones, their parts, other spellings of
# the numbers, and the example workspace's chat participants (cited context).
RAW = (
    NAME,
    "Ingrid",
    "Solvang",
    EMAIL,
    "fjord-bank",
    CARD,
    CARD.replace(" ", "-"),
    IBAN,
    IBAN.replace(" ", ""),
    PHONE,
    "020 7946 0958",
    IP,
    "Marco",
    "Priya",
    "Aiko",
    THIRD_PARTY,
    "Klaus",
    "Petersen",
    "Gartenweg",
    SSN,
)
# Numbers by their digits alone, whatever separates them in a body.
DIGITS = {
    "card": "4111111111111111",
    "iban": "89370400440532013000",
    "phone": "442079460958",
    "national phone": "2079460958",
    "ip": "100417",
    "ssn": "536904399",
}


@dataclass
class Remote:
    """The stand-in on the other side of the veth pair, and its journal of requests."""

    address: str  # inside the namespace: not this machine
    host_side: str  # this machine's end of the pair
    journal: Path

    @property
    def url(self) -> str:
        """`OLLAMA_HOST` for the stand-in."""
        return f"http://{self.address}:11434"

    def received(self) -> list[dict[str, Any]]:
        """Every request the stand-in received, in order (`method`, `path`, `body`)."""
        if not self.journal.exists():
            return []
        lines = self.journal.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=False)


def _must(*args: str) -> None:
    done = _ip(*args)
    assert done.returncode == 0, f"ip {' '.join(args)}: {done.stderr.strip()}"


def _free_subnet() -> int:
    """A third octet N for 10.231.N.0/30 that no interface of this machine uses yet."""
    listed = _ip("-j", "-4", "addr")
    used = {
        info["local"].split(".")[2]
        for link in json.loads(listed.stdout or "[]")
        for info in link.get("addr_info", [])
        if info["local"].startswith("10.231.")
    }
    free = [n for n in range(256) if str(n) not in used]
    assert free, "every 10.231.N.0/30 is taken"
    return secrets.choice(free)


@pytest.fixture()
def remote(tmp_path: Path) -> Iterator[Remote]:
    """A stand-in Ollama server at 10.231.N.2:11434 inside a new network namespace; this
    machine holds 10.231.N.1/30 on its end of a veth pair. Everything is removed afterwards."""
    if shutil.which("ip") is None:
        pytest.skip("network namespaces cannot be created here: iproute2 (`ip`) is missing")
    tag = secrets.token_hex(4)
    namespace, outer, inner = f"chatx-{tag}", f"cxh{tag}", f"cxn{tag}"
    added = _ip("netns", "add", namespace)
    if added.returncode != 0:
        pytest.skip(f"network namespaces cannot be created here: {added.stderr.strip()}")
    server: subprocess.Popen[str] | None = None
    errors = tmp_path / "standin.err"
    try:
        subnet = _free_subnet()
        host_side, address = f"10.231.{subnet}.1", f"10.231.{subnet}.2"
        inside = ("netns", "exec", namespace, "ip")
        _must("link", "add", outer, "type", "veth", "peer", "name", inner)
        _must("link", "set", inner, "netns", namespace)
        _must("addr", "add", f"{host_side}/30", "dev", outer)
        _must("link", "set", outer, "up")
        _must(*inside, "addr", "add", f"{address}/30", "dev", inner)
        _must(*inside, "link", "set", inner, "up")
        _must(*inside, "link", "set", "lo", "up")
        journal = tmp_path / "received.jsonl"
        command = [
            *("ip", "netns", "exec", namespace, sys.executable, "-m"),
            *("tests.standins.ollama_standin", "--host", address, "--journal", str(journal)),
            *("--answer", ANSWER, "--echo-pseudonyms"),
        ]
        with errors.open("w") as err:
            server = subprocess.Popen(
                command, cwd=REPO, stdout=subprocess.PIPE, stderr=err, text=True
            )
        assert server.stdout is not None
        ready = server.stdout.readline()
        assert ready.strip() == f"listening http://{address}:11434", errors.read_text()
        yield Remote(address, host_side, journal)
    finally:
        if server is not None:
            server.kill()
            server.wait()
        _ip("netns", "del", namespace)  # takes its end of the veth pair, and so both ends
        if _ip("link", "show", outer).returncode == 0:
            _ip("link", "del", outer)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return indexed_example(tmp_path_factory.mktemp("remote"))


def _env(remote: Remote, **extra: str) -> dict[str, str]:
    # clirun points HTTP(S)_PROXY at a closed port; the stand-in is reached directly.
    direct = f"{remote.address},127.0.0.1,localhost"
    return {
        "OLLAMA_HOST": remote.url,
        "NO_PROXY": direct,
        "no_proxy": direct,
        "CHATX_SHIELD_NAMES": NAME,
        **extra,
    }


def leaks(text: str) -> list[str]:
    """The raw values `text` carries, in any spelling listed above or by digits alone."""
    folded = text.casefold()
    found = [raw for raw in RAW if raw.casefold() in folded]
    runs = ["".join(filter(str.isdigit, run)) for run in re.findall(r"\d[\d\s\-./()+]*", text)]
    every_digit = "".join(filter(str.isdigit, text))
    for kind, digits in DIGITS.items():
        long_enough = len(digits) >= 10  # short ones would match unrelated digits by chance
        if any(digits in run for run in runs) or (long_enough and digits in every_digit):
            found.append(f"{kind} digits")
    return found


def test_the_prompt_leaves_for_another_machine_only_redacted(indexed: Path, remote: Remote) -> None:
    assert is_local_host(remote.host_side) and not is_local_host(remote.address)
    ask = ("ask", QUESTION, "--workspace", str(indexed), "--backend", "local", "--json")
    done = chatx(*ask, env=_env(remote))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    jsonschema.validate(result, schema("action-result"))
    assert result["route"] == {
        "backend": "ollama",
        "model": "gemma3:4b",
        "reason": f"local only (--backend local); ollama at {remote.address} is not on this "
        "machine: prompt redacted by the Policy Shield",
        "escalated": False,
    }

    received = remote.received()
    generate = [r for r in received if r["path"] == "/api/generate"]
    assert len(generate) == 1 and generate[0]["method"] == "POST"
    for request in received:
        body = request["body"] or {}
        texts = [json.dumps(request), str(body.get("system", "")), str(body.get("prompt", ""))]
        assert [leak for text in texts for leak in leaks(text)] == [], request["path"]
    sent = str(generate[0]["body"]["prompt"])
    for kind in ("card", "iban", "email", "phone", "ip", "address", "national_id"):
        assert f"⟦TKN:{kind}:" in sent, kind
    assert re.search(r"\bCN_[0-9a-f]{6} asked how we roll back", sent)

    # the user's own view: the pseudonyms the model repeated are revealed again
    answer = result["answer"]
    assert answer.startswith(f"{ANSWER} Ask ")
    for value in (NAME, EMAIL):
        assert value in answer
    assert "CN_" not in answer and "⟦TKN" not in answer

    ledger = Ledger(state_dir(indexed))
    try:
        assert [(e.backend, e.reason) for e in ledger.entries()] == [
            ("ollama", result["route"]["reason"])
        ]
    finally:
        ledger.close()


def test_remote_models_forbid_sends_nothing(indexed: Path, remote: Remote) -> None:
    env = _env(remote, CHATX_REMOTE_MODELS="forbid", CHATX_LOCAL_BACKEND="ollama")
    ask = ("ask", QUESTION, "--workspace", str(indexed), "--backend", "local", "--json")
    done = chatx(*ask, env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["route"] == {
        "backend": "extractive",
        "model": None,
        "reason": f"local only (--backend local): ollama at {remote.address} is not on this "
        "machine: remote model hosts are forbidden (remoteModels = forbid)",
        "escalated": False,
    }
    assert remote.received() == []
