"""A seeded, deterministic generator of realistic programme histories in the import format.

    python scripts/synthetic_history.py --entries 10000 --programmes 2 --actors 200 --waves 12 > history.jsonl

Every line is valid against the ledger's rules by construction (the generator keeps the state
that the rules look at), so the whole file imports. The mix follows what a real rollout
programme records: mostly wave reschedules, moves and postponements, some go-lives,
allocations and revisions, deliverables, status assessments, decisions grouping several
changes, and a few corrections and retractions.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

KINDS = ["municipality"] * 8 + ["health_trust", "gp_office", "emergency_clinic", "private"]
# Weights per 100 entries. Money entries are rarer than plan changes, as in real programmes.
MIX = [
    ("reschedule", 24), ("move", 15), ("postpone", 13), ("golive", 6), ("status", 8), ("deliverable", 6),
    ("allocation", 1), ("revision", 2), ("release", 1), ("statement", 4), ("decision", 12), ("correction", 5),
    ("retraction", 3),
]


@dataclass
class ProgrammeState:
    """What the generator must remember so that every entry it writes is valid."""

    slug: str
    actors: list[str]
    waves: list[str]
    seq: int = 0
    wave_of: dict[str, str] = field(default_factory=dict)
    live: set[str] = field(default_factory=set)
    reserve_left: int = 0
    allocations: dict[str, int] = field(default_factory=dict)
    released: dict[str, int] = field(default_factory=dict)
    deliverables: list[str] = field(default_factory=list)
    completed: set[str] = field(default_factory=set)
    reschedules: list[tuple[int, str]] = field(default_factory=list)  # (seq, wave) that may be corrected
    statuses: list[int] = field(default_factory=list)  # seqs that may be retracted
    day: date = date(2018, 1, 1)


def _window(rng: random.Random, around: date) -> dict[str, Any]:
    start = around + timedelta(days=rng.randint(30, 900))
    kind = rng.random()
    if kind < 0.4:
        return {"earliest": start.isoformat(), "latest": start.isoformat(), "precision": "day",
                "label": start.isoformat()}
    span = rng.choice([29, 60, 90, 180])
    return {"earliest": start.isoformat(), "latest": (start + timedelta(days=span)).isoformat(),
            "precision": "window", "label": f"window of {span + 1} days from {start:%B %Y}"}


class Generator:
    """Writes entries for several programmes, interleaved, until the count is reached."""

    def __init__(self, *, programmes: int, actors: int, waves: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.states = [
            ProgrammeState(f"programme-{p}", [f"actor-{a}" for a in range(actors)], [f"wave-{w}" for w in range(waves)])
            for p in range(programmes)
        ]
        self.kinds = [kind for kind, weight in MIX for _ in range(weight)]

    def _line(self, state: ProgrammeState, change: dict[str, Any], **envelope: Any) -> dict[str, Any]:
        state.seq += 1
        return {"programme": state.slug, "effective": state.day.isoformat(), "key": f"{state.slug}-{state.seq}",
                "source": {"title": f"Synthetic board minutes {state.seq}", "published_on": state.day.isoformat()},
                **envelope, **change}

    def setup(self, state: ProgrammeState) -> Iterator[dict[str, Any]]:
        """Registration, actors, waves (with members), a reserve and deliverables."""
        rng = self.rng
        yield self._line(state, {"type": "ProgrammeRegistered", "name": f"Rollout {state.slug}", "owner": "Owner RHF"})
        for actor in state.actors:
            yield self._line(state, {"type": "ActorRegistered", "actor": actor, "name": actor.title(),
                                     "kind": rng.choice(KINDS)})
        for number, wave in enumerate(state.waves):
            yield self._line(state, {"type": "WavePlanned", "wave": wave, "code": f"PD{number + 1}",
                                     "window": _window(rng, state.day)})
        for actor in state.actors:
            wave = rng.choice(state.waves)
            state.wave_of[actor] = wave
            yield self._line(state, {"type": "ActorAssignedToWave", "actor": actor, "wave": wave})
        state.reserve_left = 600_000_000
        yield self._line(state, {"type": "ReserveEstablished", "reserve": "risk", "name": "Risk reserve",
                                 "total": str(state.reserve_left)})
        for number in range(12):
            slug = f"deliverable-{number}"
            state.deliverables.append(slug)
            yield self._line(state, {"type": "DeliverablePlanned", "deliverable": slug, "name": f"Phase {number}",
                                     "window": _window(rng, state.day)})

    def _change(self, state: ProgrammeState, kind: str) -> dict[str, Any] | None:
        rng = self.rng
        pending = [a for a in state.actors if a not in state.live]
        if kind == "reschedule":
            wave = rng.choice(state.waves)
            state.reschedules.append((state.seq + 1, wave))
            return {"type": "WaveRescheduled", "wave": wave, "window": _window(rng, state.day)}
        if kind == "move" and pending:
            actor = rng.choice(pending)
            wave = rng.choice(state.waves)
            change = {"type": "ActorMovedToWave", "actor": actor, "wave": wave, "from_wave": state.wave_of[actor]}
            state.wave_of[actor] = wave
            return change
        if kind == "postpone" and pending:
            actor = rng.choice(pending)
            window = None if rng.random() < 0.1 else _window(rng, state.day)
            return {"type": "GoLivePostponed", "actor": actor, "window": window, "wave": state.wave_of[actor]}
        if kind == "golive" and pending:
            wave = rng.choice(state.waves)
            actors = [a for a in pending if state.wave_of[a] == wave][: rng.randint(1, 4)]
            if actors:
                state.live.update(actors)
                return {"type": "GoLiveRecorded", "actors": actors, "wave": wave}
        if kind == "status":
            state.statuses.append(state.seq + 1)
            return {"type": "StatusAssessed", "status": rng.choice(["On track", "Some challenges", "Serious"]),
                    "risk": rng.choice(["Low", "Medium", "High"])}
        if kind == "deliverable":
            open_ones = [d for d in state.deliverables if d not in state.completed]
            if open_ones and rng.random() < 0.3:
                state.completed.add(open_ones[0])
                return {"type": "DeliverableCompleted", "deliverable": open_ones[0]}
            return {"type": "DeliverableRescheduled", "deliverable": rng.choice(state.deliverables),
                    "window": _window(rng, state.day)}
        if kind == "allocation" and state.reserve_left >= 1000:
            amount = rng.randint(1, max(1, state.reserve_left // 20_000)) * 1000
            slug = f"allocation-{state.seq + 1}"
            state.allocations[slug] = amount
            state.reserve_left -= amount
            return {"type": "AllocationMade", "allocation": slug, "reserve": "risk", "purpose": "Introduction",
                    "amount": str(amount)}
        if kind == "revision" and state.allocations:
            slug = rng.choice(sorted(state.allocations))
            current = state.allocations[slug]
            amount = max(state.released.get(slug, 0), current - rng.randint(0, current // 1000) * 500)
            state.reserve_left += current - amount
            state.allocations[slug] = amount
            return {"type": "AllocationRevised", "allocation": slug, "amount": str(amount)}
        if kind == "release" and state.allocations:
            slug = rng.choice(sorted(state.allocations))
            left = state.allocations[slug] - state.released.get(slug, 0)
            if left >= 100:
                amount = left // 10 or left
                state.released[slug] = state.released.get(slug, 0) + amount
                return {"type": "AllocationReleased", "allocation": slug, "amount": str(amount)}
        if kind == "statement":
            return {"type": "StatementRecorded", "kind": "finding", "title": "Supervisory finding",
                    "summary": "Faults to fix before the next wave", "actors": rng.sample(state.actors, 2)}
        return None

    def _entry(self, state: ProgrammeState) -> dict[str, Any]:
        rng = self.rng
        state.day += timedelta(days=rng.choice([0, 0, 1, 1, 2, 7]))
        kind = rng.choice(self.kinds)
        if kind == "decision":
            changes = [c for c in (self._change(state, rng.choice(["reschedule", "move", "postpone"]))
                                   for _ in range(rng.randint(2, 4))) if c]
            if changes:
                # Only the sequence the decision itself takes may be the target of corrections.
                state.reschedules = [(s, w) for s, w in state.reschedules if s <= state.seq]
                return self._line(state, {"type": "DecisionRecorded", "title": "Board decision", "changes": changes},
                                  deciding_body="Programme board")
        if kind == "correction" and state.reschedules:
            seq, wave = rng.choice(state.reschedules[-200:])
            return self._line(state, {"type": "EntryCorrected", "target_entry": f"{state.slug}:{seq}",
                                      "replacement": {"type": "WaveRescheduled", "wave": wave,
                                                      "window": _window(rng, state.day)}},
                              reason="The minutes gave another window")
        if kind == "retraction" and state.statuses:
            seq = state.statuses.pop(rng.randrange(len(state.statuses)))
            return self._line(state, {"type": "EntryRetracted", "target_entry": f"{state.slug}:{seq}"},
                              reason="Recorded against the wrong programme")
        change = self._change(state, kind) or self._change(state, "reschedule")
        assert change is not None
        return self._line(state, change)

    def lines(self, entries: int) -> Iterator[dict[str, Any]]:
        """`entries` import lines in all: each programme's set-up first, then an interleaved history."""
        written = 0
        for state in self.states:
            for line in self.setup(state):
                if written == entries:
                    return
                written += 1
                yield line
        while written < entries:
            yield self._entry(self.rng.choice(self.states))
            written += 1


def generate(entries: int, *, programmes: int = 1, actors: int = 200, waves: int = 12,
             seed: int = 1) -> Iterator[dict[str, Any]]:
    """A deterministic history: the same arguments give the same lines."""
    return Generator(programmes=programmes, actors=actors, waves=waves, seed=seed).lines(entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--programmes", type=int, default=1)
    parser.add_argument("--actors", type=int, default=200)
    parser.add_argument("--waves", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for line in generate(args.entries, programmes=args.programmes, actors=args.actors, waves=args.waves,
                         seed=args.seed):
        sys.stdout.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
