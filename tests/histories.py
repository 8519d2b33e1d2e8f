"""Random but valid programme histories for property tests (corrections and retractions included).

Commands are drawn at random and offered to a real `ProgrammeLedger`; the ones its rules
refuse are dropped, so every history is one the ledger could really hold. Recorded times
step forward by 0 to 3 minutes, so equal timestamps occur too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from ledger.codec import content_digest, decode_entry
from ledger.entry import RecordedEntry
from ledger.errors import LedgerError
from ledger.programme import ProgrammeLedger

PROGRAMME = "prop"
ACTORS = ["a1", "a2", "a3"]
WAVES = ["w1", "w2"]
START = date(2020, 1, 1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)

days = st.integers(min_value=0, max_value=60).map(lambda n: (START + timedelta(days=n * 15)).isoformat())
money = st.integers(min_value=0, max_value=12).map(lambda n: str(n * 100))


def _window(earliest: str, span: int) -> dict[str, Any]:
    latest = (date.fromisoformat(earliest) + timedelta(days=span)).isoformat()
    return {"earliest": earliest, "latest": latest, "precision": "window", "label": f"{earliest}+{span}"}


windows = st.builds(_window, days, st.integers(min_value=0, max_value=90))


def _money_window(kind: str, low: int, span: int) -> dict[str, Any]:
    if kind == "range":
        return {"kind": kind, "low": str(low * 100), "high": str((low + span + 1) * 100), "label": "r"}
    return {"kind": kind, "amount": str(low * 100), "label": kind}


money_windows = st.builds(_money_window, st.sampled_from(["exact", "range", "at_least", "at_most", "about"]),
                          st.integers(min_value=0, max_value=12), st.integers(min_value=0, max_value=5))


def _setup() -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = [{"type": "ProgrammeRegistered", "name": "P", "owner": "O"}]
    lines += [{"type": "ActorRegistered", "actor": a, "name": a.upper(), "kind": "municipality"} for a in ACTORS]
    lines += [{"type": "WavePlanned", "wave": w, "code": w.upper(), "window": "2021"} for w in WAVES]
    lines.append({"type": "ReserveEstablished", "reserve": "r", "name": "R", "total": "1000"})
    lines.append({"type": "DeliverablePlanned", "deliverable": "d", "name": "D", "window": "2021-Q2"})
    return [{**line, "effective": "2019-06-01"} for line in lines]


def _simple_strategies() -> dict[str, Any]:
    actor = st.sampled_from(ACTORS)
    wave = st.sampled_from(WAVES)
    allocation = st.sampled_from(["x1", "x2"])

    def of(type_name: str, **fields: Any) -> Any:
        return st.fixed_dictionaries({"type": st.just(type_name), **fields})

    return {
        "ActorAssignedToWave": of("ActorAssignedToWave", actor=actor, wave=wave),
        "ActorMovedToWave": of("ActorMovedToWave", actor=actor, wave=wave),
        "GoLivePostponed": of("GoLivePostponed", actor=actor, window=st.none() | windows),
        "GoLiveRecorded": of(
            "GoLiveRecorded", actors=st.lists(actor, min_size=1, max_size=2, unique=True), wave=st.none() | wave
        ),
        "WaveRescheduled": of("WaveRescheduled", wave=wave, window=windows),
        "ActorJoined": of("ActorJoined", actor=actor),
        "ActorLeft": of("ActorLeft", actor=actor),
        "ReserveChanged": of("ReserveChanged", reserve=st.just("r"), total=money),
        "AllocationMade": of(
            "AllocationMade", allocation=allocation, reserve=st.just("r"), purpose=st.just("p"), amount=money
        ),
        "AllocationRevised": of("AllocationRevised", allocation=allocation, amount=money),
        "AllocationReleased": of("AllocationReleased", allocation=allocation, amount=money),
        "DeliverableCompleted": of("DeliverableCompleted", deliverable=st.just("d")),
        "StatusAssessed": of("StatusAssessed", status=st.sampled_from(["ok", "bad"]), risk=st.just("low")),
        "WavePlanned": of("WavePlanned", wave=wave, code=st.just("W"), window=windows),
        "ActorRegistered": of(
            "ActorRegistered", actor=actor, name=st.sampled_from(["A", "B"]), kind=st.just("municipality")
        ),
        "ReserveEstablished": of("ReserveEstablished", reserve=st.just("r"), name=st.just("R"), total=money),
        "DeliverablePlanned": of("DeliverablePlanned", deliverable=st.just("d"), name=st.just("D"), window=windows),
        # Budgets, estimates and costs to date: for the programme or a wave.
        "BudgetSet": st.one_of(of("BudgetSet", amount=money_windows), of("BudgetSet", wave=wave, amount=money_windows)),
        "BudgetRevised": st.one_of(of("BudgetRevised", amount=money_windows),
                                   of("BudgetRevised", wave=wave, amount=money_windows)),
        "CostEstimated": of("CostEstimated", estimate=st.sampled_from(["e1", "e2"]), name=st.just("E"),
                            basis=st.sampled_from(["one_off", "per_year"]), amount=money_windows),
        "CostEstimateRevised": of("CostEstimateRevised", estimate=st.sampled_from(["e1", "e2"]),
                                  amount=money_windows),
        "CostToDateReported": st.one_of(of("CostToDateReported", amount=money_windows),
                                        of("CostToDateReported", wave=wave, amount=money_windows)),
    }


SIMPLE = _simple_strategies()
EVERYDAY = [
    name
    for name in SIMPLE
    if name not in {"WavePlanned", "ActorRegistered", "ReserveEstablished", "DeliverablePlanned"}
]


def _command(draw: Any, ledger: ProgrammeLedger) -> dict[str, Any]:
    """One random command, offered to `ledger` as it stands (corrections fit their target)."""
    kind = draw(st.sampled_from(["simple"] * 6 + ["decision", "correct", "correct", "retract"]))
    simple = st.one_of([SIMPLE[name] for name in EVERYDAY])
    if kind == "simple":
        command = draw(simple)
    elif kind == "decision":
        command = {"type": "DecisionRecorded", "title": "d", "changes": draw(st.lists(simple, min_size=1, max_size=3))}
    else:
        seq = draw(st.integers(1, len(ledger.entries)))
        command = {"target_entry": f"{PROGRAMME}:{seq}"}
        target = ledger.entries[seq - 1].change
        if kind == "retract":
            command["type"] = "EntryRetracted"
        elif target.TYPE in SIMPLE:
            replacement = {**draw(SIMPLE[target.TYPE]), "effective": draw(days)}
            command.update(type="EntryCorrected", replacement=replacement)
        else:
            command = draw(simple)
    command["effective"] = draw(days)
    return command


@st.composite
def histories(draw: Any, max_commands: int = 30) -> list[RecordedEntry]:
    """A valid recorded history of one programme."""
    ledger: ProgrammeLedger | None = None
    setup = _setup()
    count = len(setup) + draw(st.integers(min_value=0, max_value=max_commands))
    for number in range(count):
        line = setup[number] if number < len(setup) else _command(draw, ledger)  # type: ignore[arg-type]
        try:
            entry = decode_entry(
                {**line, "programme": PROGRAMME, "key": f"k{number}"}, recorded_by="prop", require_source=False
            )
            if ledger is None:
                ledger = ProgrammeLedger.open(entry, content_digest(entry))
            else:
                ledger.record(entry, content_digest(entry))
        except LedgerError:
            continue
    assert ledger is not None
    recorded, moment = [], T0
    for event in ledger.collect_events():
        moment += timedelta(minutes=draw(st.integers(min_value=0, max_value=3)))
        recorded.append(RecordedEntry(len(recorded) + 1, event.originator_version, moment, event.entry))  # type: ignore[attr-defined]
    return recorded
