"""The programme's rules, checked on a `Timeline` of the facts currently believed.

`check_before` looks at a change against what is already recorded (references, the wave a
move or postponement starts from). `check_after` runs once the change's facts are on the
time line and checks every subject the change touched, so that a correction or retraction
cannot break a rule that an ordinary entry could not break either.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from ledger.changes import (
    FOLLOWS_WAVE,
    ActorMovedToWave,
    ActorRegistered,
    ActorRestoredToWave,
    AllocationMade,
    Change,
    GoLive,
    GoLivePostponed,
    GoLiveRescheduled,
    Schedule,
)
from ledger.errors import (
    AlreadyLive,
    InvariantViolated,
    NotInWave,
    ReserveExceeded,
    UnknownReference,
)
from ledger.timeline import FactKey, Timeline

Subject = tuple[str, str]


def check_before(timeline: Timeline, change: Change, effective: date) -> None:
    """Rules about what the change refers to, before its facts are added."""
    for kind, slug, field in change.references():
        if not timeline.exists(kind, slug):
            raise UnknownReference(f"unknown {kind} {slug!r}", field=field)
        if timeline.at((kind, slug, "profile"), effective) is None:
            registered = timeline.versions((kind, slug, "profile"))[0].effective
            raise UnknownReference(
                f"{kind} {slug!r} is registered only from {registered}, after this entry takes effect "
                f"({effective})", field=field)
    if isinstance(change, ActorMovedToWave) and change.from_wave:
        _require_wave(timeline, change.actor, change.from_wave, effective, "from_wave")
    if isinstance(change, GoLivePostponed) and change.wave:
        _require_wave(timeline, change.actor, change.wave, effective, "wave")
    if isinstance(change, GoLiveRescheduled | ActorRestoredToWave):
        _require_off_wave(timeline, change, effective)


def _require_off_wave(timeline: Timeline, change: GoLiveRescheduled | ActorRestoredToWave, day: date) -> None:
    """A reschedule moves an actor's own window and a restore ends one: the actor must have one."""
    schedule = timeline.value(("actor", change.actor, "schedule"), day)
    if not isinstance(schedule, Schedule) or schedule.mode == FOLLOWS_WAVE:
        plan = "follows its wave" if isinstance(schedule, Schedule) else "has no plan"
        instead = ("postpone it or schedule it on its own window instead" if isinstance(change, GoLiveRescheduled)
                   else "there is nothing to restore")
        raise InvariantViolated(f"actor {change.actor!r} {plan} on {day}: {instead}", field="actor")
    if isinstance(change, ActorRestoredToWave):
        _require_wave(timeline, change.actor, change.wave, day, "wave")


def _require_wave(timeline: Timeline, actor: str, wave: str, day: date, field: str) -> None:
    current = timeline.value(("actor", actor, "wave"), day)
    if current != wave:
        where = f"is in {current!r}" if current else "is in no wave"
        raise NotInWave(f"actor {actor!r} {where} on {day}, not in {wave!r}", field=field)


def touched_subjects(facts: Iterable[tuple[FactKey, object]]) -> list[Subject]:
    """The subjects whose facts a change adds or removes, in first-seen order."""
    seen: dict[Subject, None] = {}
    for (kind, subject, _attribute), _value in facts:
        seen[(kind, subject)] = None
    return list(seen)


def check_after(timeline: Timeline, subjects: Iterable[Subject], seq: int, since: date = date.min) -> None:
    """Rules about whole subjects, after the entry `seq` changed their facts from `since` on.

    Money rules are checked on every day from `since` on where a total or an amount changes:
    nothing before the earliest day the entry touches can have changed.
    """
    for kind, subject in subjects:
        if kind != "statement" and len(timeline.versions((kind, subject, "profile"))) > 1:
            raise InvariantViolated(
                f"{kind} {subject!r} is already registered; correct the earlier entry instead"
            )
        _check_registered_first(timeline, kind, subject)
        if kind == "actor":
            _check_actor(timeline, subject)
        elif kind == "reserve":
            _check_reserve(timeline, subject, seq, since)
        elif kind == "allocation":
            _check_allocation(timeline, subject, seq, since)
        elif kind == "deliverable" and len(timeline.versions((kind, subject, "completed"))) > 1:
            raise InvariantViolated(f"deliverable {subject!r} is already completed")


def check_registration_removed(timeline: Timeline, subjects: Iterable[Subject]) -> None:
    """A registration may only go away when nothing else about the subject remains."""
    for kind, subject in subjects:
        remaining = timeline.attributes(kind, subject)
        if remaining and "profile" not in remaining:
            raise InvariantViolated(
                f"{kind} {subject!r} would lose its registration while other entries "
                f"({', '.join(sorted(remaining))}) still refer to it; retract those first"
            )


def _check_registered_first(timeline: Timeline, kind: str, subject: str) -> None:
    """No fact about a subject may take effect before the subject's registration does."""
    profile = timeline.versions((kind, subject, "profile"))
    if not profile:
        return
    registered = profile[0].effective
    for attribute in timeline.attributes(kind, subject):
        versions = timeline.versions((kind, subject, attribute))
        if versions and versions[0].effective < registered:
            raise UnknownReference(
                f"{kind} {subject!r} is registered only from {registered}, but an entry about it "
                f"takes effect on {versions[0].effective}")


def _check_parents(timeline: Timeline, actor: str) -> None:
    """Following parents from an actor never leads back to it."""
    seen = [actor]
    current: str | None = actor
    while current is not None:
        profile = timeline.versions(("actor", current, "profile"))
        parent = profile[-1].value.parent if profile and isinstance(profile[-1].value, ActorRegistered) else None
        if parent in seen:
            chain = " -> ".join([*seen, str(parent)])
            raise InvariantViolated(f"actor {actor!r} would be its own ancestor: {chain}", field="parent")
        if parent is not None:
            seen.append(parent)
        current = parent


def _check_actor(timeline: Timeline, actor: str) -> None:
    _check_parents(timeline, actor)
    go_lives = timeline.versions(("actor", actor, "golive"))
    if len(go_lives) > 1:
        first = go_lives[0]
        raise AlreadyLive(f"actor {actor!r} already went live on {first.effective}")
    for version in go_lives:
        assert isinstance(version.value, GoLive)
        if version.value.wave:
            _require_wave(timeline, actor, version.value.wave, version.effective, "wave")


def _sum_at(timeline: Timeline, keys: Iterable[FactKey], day: date, skip_seq: int | None) -> Decimal:
    """The sum of the keys' values on `day`, as if entry `skip_seq` (if given) were not there."""
    total = Decimal(0)
    for key in keys:
        in_force = [
            v for v in timeline.versions(key) if v.effective <= day and v.seq != skip_seq
        ] if skip_seq is not None else [timeline.at(key, day)]
        if in_force and in_force[-1] is not None:
            total += in_force[-1].value  # type: ignore[operator]
    return total


def _change_days(timeline: Timeline, keys: Iterable[FactKey], since: date) -> list[date]:
    """`since` and every later day on which one of the keys changes."""
    later = {version.effective for key in keys for version in timeline.versions(key) if version.effective > since}
    return [since, *sorted(later)] if since != date.min else sorted(later)


def allocations_of(timeline: Timeline, reserve: str) -> list[str]:
    """Every allocation drawn from a reserve."""
    found = []
    for allocation in timeline.subjects("allocation"):
        profile = timeline.versions(("allocation", allocation, "profile"))
        if profile and isinstance(profile[0].value, AllocationMade) and profile[0].value.reserve == reserve:
            found.append(allocation)
    return found


def _check_reserve(timeline: Timeline, reserve: str, seq: int, since: date) -> None:
    total_key: FactKey = ("reserve", reserve, "total")
    amount_keys: list[FactKey] = [
        ("allocation", allocation, "amount") for allocation in allocations_of(timeline, reserve)
    ]
    for day in _change_days(timeline, [total_key, *amount_keys], since):
        allocated = _sum_at(timeline, amount_keys, day, None)
        total_version = timeline.at(total_key, day)
        total = Decimal(0) if total_version is None else total_version.value
        assert isinstance(total, Decimal)
        if allocated > total:
            before = _sum_at(timeline, amount_keys, day, seq)
            raise ReserveExceeded(
                f"reserve {reserve!r} has {max(total - before, Decimal(0))} NOK left on {day} "
                f"(total {total} NOK), but this entry would allocate {allocated - before} NOK "
                f"more, {allocated - total} NOK too much"
            )


def _check_allocation(timeline: Timeline, allocation: str, seq: int, since: date) -> None:
    profile = timeline.versions(("allocation", allocation, "profile"))
    if profile and isinstance(profile[0].value, AllocationMade):
        _check_reserve(timeline, profile[0].value.reserve, seq, since)
    amount_key: FactKey = ("allocation", allocation, "amount")
    release_keys: list[FactKey] = [
        ("allocation", allocation, attribute)
        for attribute in timeline.attributes("allocation", allocation)
        if attribute.startswith("release:")
    ]
    for day in _change_days(timeline, [amount_key, *release_keys], since):
        released = _sum_at(timeline, release_keys, day, None)
        amount = timeline.value(amount_key, day) or Decimal(0)
        assert isinstance(amount, Decimal)
        if released > amount:
            before = _sum_at(timeline, release_keys, day, seq)
            raise ReserveExceeded(
                f"allocation {allocation!r} has {max(amount - before, Decimal(0))} NOK "
                f"unreleased on {day} (allocated {amount} NOK), but this entry would release "
                f"{released - before} NOK"
            )
