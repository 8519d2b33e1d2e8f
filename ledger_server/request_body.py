"""Reading an HTTP request's body inside pure ASGI middleware, and handing it on unread.

A middleware that looks at the body before the application does must give the application the
same bytes again: `read_body` collects the body's messages, `replay` is a receive callable that
answers first with what was read, then with whatever the client still sends.
"""

from __future__ import annotations

from starlette.types import Message, Receive


async def read_body(receive: Receive, limit: int | None = None) -> tuple[bytes, bool]:
    """The request body, and whether more follows: with `limit`, reading stops once that many bytes came."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body"):
            return b"".join(chunks), False
        if limit is not None and size > limit:
            return b"".join(chunks), True


def replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A receive that first hands back the body already read, then (if `more`) the rest from the client."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed
