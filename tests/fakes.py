"""Real local peers for what the app talks to: an SMTP server that keeps
what it receives, and an HTTP endpoint that answers like Tencent Cloud SMS
and records each request."""

from __future__ import annotations

import email
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.pg_server import free_port


class MailBox:
    """Collects the messages the SMTP server accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[int, MailBox]]:
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, box
    finally:
        controller.stop()


def body_text(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


class TencentRecorder(BaseHTTPRequestHandler):
    """Answers SendSms as Tencent Cloud does, keeping each request."""

    requests: list[dict[str, Any]]
    answer_code = "Ok"

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append({"headers": dict(self.headers), "body": body})  # type: ignore[attr-defined]
        reply = {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": "2028:1",
                        "PhoneNumber": (body.get("PhoneNumberSet") or [""])[0],
                        "Fee": 1,
                        "SessionContext": "",
                        "Code": self.server.answer_code,  # type: ignore[attr-defined]
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
            }
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def tencent_sms_endpoint(answer_code: str = "Ok") -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), TencentRecorder)
    server.requests = []  # type: ignore[attr-defined]
    server.answer_code = answer_code  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
