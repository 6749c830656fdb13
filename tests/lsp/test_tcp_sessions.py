"""`chatx serve --tcp`: one session per connection behind a token. Replies go only to the
connection that asked, a client without the token cannot initialize (or re-point anything),
and two clients can work on two folders at once. One server subprocess, raw loopback
clients."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lsp.rpc import CHATX, ENV, RawClient, initialize_params
from tests.lsp.test_transport_and_guard import free_port, listening


@dataclass
class TcpServer:
    proc: subprocess.Popen[bytes]
    port: int
    token_file: Path
    stderr: Path
    env: dict[str, str]

    @property
    def token(self) -> str:
        return self.token_file.read_text(encoding="ascii").strip()

    def session(self, root: Path) -> RawClient:
        """A client that initialized on `root` with the token."""
        client = RawClient.tcp(self.port)
        reply = client.request("initialize", initialize_params(root, {"token": self.token}))
        assert reply["result"]["serverInfo"]["name"] == "chatx"
        return client


def folder(tmp: Path, name: str) -> Path:
    root = tmp / name
    root.mkdir()
    (root / "notes.md").write_text(f"# {name}\n\nDeploy notes.\n", encoding="utf-8")
    return root.resolve()


def workspace_of(client: RawClient) -> str:
    reply = client.request("workspace/executeCommand", {"command": "chatx.status"})
    return str(reply["result"]["workspace"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TcpServer]:
    """`chatx serve --tcp` with its runtime dir (where the token goes) in a temporary dir."""
    runtime = tmp_path_factory.mktemp("runtime")
    runtime.chmod(0o700)
    env = {**ENV, "XDG_RUNTIME_DIR": str(runtime)}
    port = free_port()
    stderr = runtime.parent / "tcp-stderr.log"
    with stderr.open("wb") as sink:
        proc = subprocess.Popen(
            [*CHATX, "serve", "--tcp", "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=sink,
            env=env,
        )
    token_file = runtime / "chatx" / f"tcp-{port}.token"
    deadline = time.monotonic() + 60
    while not (listening(port) and token_file.exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    yield TcpServer(proc, port, token_file, stderr, env)
    proc.terminate()
    proc.wait(timeout=60)


def test_the_token_is_private_and_its_path_is_printed(server: TcpServer) -> None:
    assert server.token_file.stat().st_mode & 0o777 == 0o600
    assert server.token_file.parent.stat().st_mode & 0o777 == 0o700
    assert len(server.token) >= 40
    printed = subprocess.run(
        [*CHATX, "serve", "--print-token-path", "--port", str(server.port)],
        capture_output=True,
        text=True,
        env=server.env,
        check=True,
    )
    assert printed.stdout.strip() == str(server.token_file)
    log = server.stderr.read_text(encoding="utf-8")
    assert str(server.token_file) in log and server.token not in log


def test_a_reply_goes_only_to_the_connection_that_asked(server: TcpServer, tmp_path: Path) -> None:
    a_root = folder(tmp_path, "a")
    a = server.session(a_root)
    silent = RawClient.tcp(server.port)  # connects after A and sends nothing

    assert workspace_of(a) == str(a_root)
    assert silent.received_within(1.5) == []
    assert not silent.eof
    silent.close()
    a.close()


@pytest.mark.parametrize(
    "first",
    [
        pytest.param({"token": None}, id="no-token"),
        pytest.param({"token": "not-the-token"}, id="wrong-token"),
        pytest.param({"token": 12345}, id="token-not-a-string"),
        pytest.param({"chatx": {"token": "x"}}, id="token-elsewhere"),
    ],
)
def test_without_the_token_initialize_fails_and_the_connection_closes(
    server: TcpServer, tmp_path: Path, first: dict[str, object]
) -> None:
    a_root, b_root = folder(tmp_path, "a"), folder(tmp_path, "b")
    a = server.session(a_root)
    intruder = RawClient.tcp(server.port)

    reply = intruder.request("initialize", initialize_params(b_root, first))
    assert reply["error"]["code"] == -32600
    assert reply["error"]["data"]["code"] == "INVALID_INPUT"
    assert "initializationOptions.token" in reply["error"]["data"]["detail"]
    assert intruder.closed_within(10)
    assert workspace_of(a) == str(a_root)  # not re-pointed
    refused = [m for m in a.notifications if "refused" in str(m.get("params"))]
    assert refused == []  # the refusal is logged in the intruder's session, not sent to A
    a.close()


def test_a_first_message_other_than_initialize_is_refused(
    server: TcpServer, tmp_path: Path
) -> None:
    request_first = RawClient.tcp(server.port)
    reply = request_first.request("workspace/executeCommand", {"command": "chatx.status"})
    assert reply["error"]["code"] == -32600
    assert request_first.closed_within(10)

    notification_first = RawClient.tcp(server.port)
    notification_first.notify("initialized", {})
    assert notification_first.closed_within(10)
    assert notification_first.replies == {}


def test_two_clients_work_on_two_folders_independently(server: TcpServer, tmp_path: Path) -> None:
    a_root, b_root = folder(tmp_path, "a"), folder(tmp_path, "b")
    a = server.session(a_root)
    b = server.session(b_root)

    assert workspace_of(b) == str(b_root)
    assert workspace_of(a) == str(a_root)
    again = a.request("initialize", initialize_params(b_root, {"token": server.token}))
    assert again["error"] == {"code": -32600, "message": "initialize was already received"}
    assert workspace_of(a) == str(a_root)

    assert a.request("shutdown")["result"] is None
    a.notify("exit")
    assert a.closed_within(10)  # A's session ends; the server and B go on
    assert workspace_of(b) == str(b_root)
    b.close()
    c = server.session(a_root)
    assert workspace_of(c) == str(a_root)
    c.close()
    assert server.proc.poll() is None


def test_a_client_that_disconnects_abruptly_leaves_the_others_working(
    server: TcpServer, tmp_path: Path
) -> None:
    a_root, b_root = folder(tmp_path, "a"), folder(tmp_path, "b")
    a = server.session(a_root)
    b = server.session(b_root)
    b.send_raw(b'Content-Length: 500\r\n\r\n{"jsonrpc": "2.0", "id": 1, "method": "shut')
    b.close()

    assert workspace_of(a) == str(a_root)
    assert server.proc.poll() is None
    a.close()


def test_sigterm_stops_the_server_and_removes_the_token(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    port = free_port()
    proc = subprocess.Popen(
        [*CHATX, "serve", "--tcp", "--port", str(port)],
        stderr=subprocess.DEVNULL,
        env={**ENV, "XDG_RUNTIME_DIR": str(runtime)},
    )
    token_file = runtime / "chatx" / f"tcp-{port}.token"
    deadline = time.monotonic() + 60
    while not token_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert token_file.exists()
    RawClient.tcp(port)  # a connected client does not keep the server up

    proc.terminate()
    assert proc.wait(timeout=60) == 0
    assert not token_file.exists()
    assert os.listdir(runtime / "chatx") == []
