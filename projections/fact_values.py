"""Fact values as JSON and back, so a read model in a database holds exactly what the index holds.

`assemble` must get the same Python values from PostgreSQL as from memory; this codec is the
one place that knows how each kind of fact value is written down.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

import msgspec

from ledger.changes import Change, GoLive, Schedule
from ledger.codec import encode_change
from ledger.stored import decode_stored_change, decode_stored_money_window, decode_stored_window
from ledger.values import MoneyWindow, PlannedWindow, parse_local_time


def encode_value(value: object) -> dict[str, Any]:
    """A fact value as a small tagged JSON object."""
    if isinstance(value, Change):
        return {"change": encode_change(value)}
    if isinstance(value, Schedule):
        return {"schedule": value.mode, "window": value.window.to_json() if value.window else None}
    if isinstance(value, GoLive):
        return {"golive": value.wave, "at": str(value.at)} if value.at else {"golive": value.wave}
    if isinstance(value, PlannedWindow):
        return {"window": value.to_json()}
    if isinstance(value, MoneyWindow):
        return {"money_window": value.to_json()}
    if isinstance(value, bool):
        return {"flag": value}
    if isinstance(value, Decimal):
        return {"money": format(value, "f")}
    if isinstance(value, str):
        return {"text": value}
    raise TypeError(f"no encoding for fact value {value!r}")


def decode_value(data: dict[str, Any]) -> object:
    """The fact value written by `encode_value`."""
    if "change" in data:
        return decode_stored_change(data["change"])
    if "schedule" in data:
        window = data.get("window")
        return Schedule(data["schedule"], None if window is None else decode_stored_window(window))
    if "golive" in data:
        at = data.get("at")
        return GoLive(data["golive"], None if at is None else parse_local_time(at, "at"))
    if "window" in data:
        return decode_stored_window(data["window"])
    if "money_window" in data:
        return decode_stored_money_window(data["money_window"])
    if "flag" in data:
        return bool(data["flag"])
    if "money" in data:
        return Decimal(data["money"])
    if "text" in data:
        return str(data["text"])
    raise ValueError(f"unknown fact value {data!r}")


@lru_cache(maxsize=8192)
def decode_value_json(text: str) -> object:
    """The fact value of a stored JSON text (a database's jsonb column).

    Many versions hold the same value (a wave's id, a label), and values are immutable, so
    the decoded object of a text is kept and shared: an as-of question on PostgreSQL spent
    more than half its time decoding values it had decoded before.
    """
    data: dict[str, Any] = msgspec.json.decode(text)
    return decode_value(data)
