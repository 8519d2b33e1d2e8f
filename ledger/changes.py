"""What a ledger entry says: one immutable `Change` class per entry type.

A change is the content of an entry (the envelope with dates and provenance is in
`ledger.entry`). Each change knows which facts it asserts (`facts`) and which registered
subjects it refers to (`references`). The rules that involve several facts, such as
"an actor goes live once", are in `ledger.rules`. Field types drive the JSON codec
(`ledger.codec`): `Slug` fields are ids, `Text` fields free text, `Decimal` fields exact money,
`MoneyWindow` fields money as a source stated it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, ClassVar

from ledger.errors import InvalidInput
from ledger.timeline import FactKey
from ledger.values import LocalTime, MoneyWindow, PlannedWindow

Slug = Annotated[str, "slug"]
Text = Annotated[str, "text"]

Fact = tuple[FactKey, object]
Reference = tuple[str, str, str]  # (kind, slug, field that named it)

FOLLOWS_WAVE = "follows wave"
POSTPONED = "postponed"
UNSCHEDULED = "unscheduled"
SCHEDULED = "scheduled"  # planned on its own window, outside any wave
RESCHEDULED = "rescheduled"  # its own window moved (earlier or later: not a postponement)


class ActorKind(StrEnum):
    """What sort of organisation an actor is."""

    REGIONAL_HEALTH_AUTHORITY = "regional_health_authority"
    HEALTH_TRUST = "health_trust"
    HOSPITAL = "hospital"
    MUNICIPALITY = "municipality"
    GP_OFFICE = "gp_office"
    EMERGENCY_CLINIC = "emergency_clinic"
    PRIVATE = "private"
    OTHER = "other"


# What each kind means, for the GraphQL enum and the docs.
ACTOR_KIND_HELP: dict[ActorKind, str] = {
    ActorKind.REGIONAL_HEALTH_AUTHORITY: "A regional health authority (RHF) that owns health trusts.",
    ActorKind.HEALTH_TRUST: "A health trust (HF) running one or more hospitals.",
    ActorKind.HOSPITAL: "A single hospital, where it goes live apart from its trust.",
    ActorKind.MUNICIPALITY: "A municipality (its health and care services).",
    ActorKind.GP_OFFICE: "A general practitioner's office.",
    ActorKind.EMERGENCY_CLINIC: "An emergency clinic (legevakt), often shared by several municipalities.",
    ActorKind.PRIVATE: "A private provider working under agreement with the public services.",
    ActorKind.OTHER: "Any other organisation taking part in the rollout.",
}


@dataclass(frozen=True)
class Schedule:
    """How an actor's go-live is planned: with its wave, on its own window, or not at all."""

    mode: str
    window: PlannedWindow | None = None


@dataclass(frozen=True)
class GoLive:
    """An actor went live (on the version's effective date), in `wave` where known, at `at` if the source said."""

    wave: str | None
    at: LocalTime | None = None


_REGISTRY: dict[str, type[Change]] = {}  # every entry type by name, filled as classes are defined
_GENERATION = [0]  # counts registrations, so hot caches can tell the registry changed cheaply


class Change:
    """Base of every entry type. Subclasses are frozen dataclasses.

    Each entry type says everything about itself here, beside its fields; the mutation
    inputs, the PostgreSQL fact tables, the role checks and the reference docs are derived
    from these declarations, so a new type costs its class (and its view, if the plan is
    to show it in its own way).
    """

    TYPE: ClassVar[str]  # its name in the import format and the log: the class name
    MUTATION: ClassVar[str]  # its GraphQL mutation, e.g. "recordGoLive" (required)
    # The fact families (the first part of each fact key) its facts belong to; a
    # composite type (a decision, a correction) states its parts' facts and declares none.
    FAMILIES: ClassVar[tuple[str, ...]] = ()
    STANDALONE: ClassVar[bool] = False  # may only stand alone, never inside a decision
    ROLE: ClassVar[str] = "recorder"  # the token role that may record it, wherever it appears
    NON_EMPTY: ClassVar[tuple[str, ...]] = ()  # list fields that must name at least one item
    # Its help text, for the GraphQL schema and the docs, is the class docstring; each field's
    # is in FIELD_HELP, merged along the class's bases, so the ids below are described once.
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "actor": "The actor's id (a lower-case slug, as registered by ActorRegistered).",
        "wave": "The wave's id (a lower-case slug, as planned by WavePlanned).",
        "deliverable": "The deliverable's id (a lower-case slug, as planned by DeliverablePlanned).",
        "reserve": "The reserve's id (a lower-case slug, as established by ReserveEstablished).",
        "allocation": "The allocation's id (a lower-case slug, as made by AllocationMade).",
    }

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.TYPE = cls.__name__
        if "MUTATION" not in cls.__dict__:
            raise TypeError(f"entry type {cls.TYPE} must declare MUTATION, the name of its GraphQL mutation")
        if not (cls.__doc__ or "").strip() or cls.__doc__ == Change.__doc__:
            raise TypeError(f"entry type {cls.TYPE} needs a docstring: it is the type's help text")
        if missing := [name for name in _own_fields(cls) if name not in field_help(cls)]:
            raise TypeError(f"entry type {cls.TYPE} needs FIELD_HELP for {', '.join(missing)}: "
                            "it is the fields' help text")
        known = _REGISTRY.get(cls.TYPE)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"entry type {cls.TYPE} is already defined by {known.__module__}.{known.__qualname__}")
        _REGISTRY[cls.TYPE] = cls
        _GENERATION[0] += 1

    def facts(self, seq: int) -> list[Fact]:
        """The facts this change asserts when recorded as entry `seq`."""
        raise NotImplementedError

    def references(self) -> list[Reference]:
        """Registered subjects this change needs, besides those it registers itself."""
        return []

    def describe(self) -> str:
        """One line for logs and tables."""
        return self.TYPE


def field_help(cls: type) -> dict[str, str]:
    """Each field's help text, a subclass's FIELD_HELP overriding its bases'."""
    merged: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        merged.update(vars(klass).get("FIELD_HELP", {}))
    return merged


def _own_fields(cls: type) -> list[str]:
    """The fields a class body declares (it is not a dataclass yet when subclassing runs)."""
    annotations: dict[str, object] = vars(cls).get("__annotations__", {})
    return [name for name, hint in annotations.items()
            if not (hint if isinstance(hint, str) else repr(hint)).removeprefix("typing.").startswith("ClassVar")]


# -- programme -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeRegistered(Change):
    """A programme enters the ledger; always the programme's first entry."""

    MUTATION: ClassVar[str] = "registerProgramme"
    FAMILIES: ClassVar[tuple[str, ...]] = ("programme",)
    STANDALONE: ClassVar[bool] = True
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "name": "The programme's name as its owner writes it.",
        "owner": "The organisation that owns the programme.",
        "description": "What the programme delivers, in a sentence or two; null when not given.",
        "strategic_goal": "The strategic goal the programme serves; null when not given.",
        "segment": "The portfolio segment or category the owner files it under; null when not given.",
        "contact": "Who answers for the programme; null when not given.",
    }

    name: Text
    owner: Text
    description: Text | None = None
    strategic_goal: Text | None = None
    segment: Text | None = None
    contact: Text | None = None

    def facts(self, seq: int) -> list[Fact]:
        return [(("programme", "-", "profile"), self)]

    def describe(self) -> str:
        return f"programme {self.name!r} registered, owner {self.owner}"


@dataclass(frozen=True)
class StatusAssessed(Change):
    """The programme's overall status and risk were assessed."""

    MUTATION: ClassVar[str] = "assessStatus"
    FAMILIES: ClassVar[tuple[str, ...]] = ("programme",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "status": "The overall status in the assessor's words, such as \"Some challenges\".",
        "risk": "The overall risk level in the assessor's words, such as \"Medium\".",
        "summary": "The assessment's summary; null when not given.",
        "risks": "The named risks, most important first; empty when none were listed.",
    }

    status: Text
    risk: Text
    summary: Text | None = None
    risks: tuple[Text, ...] = ()

    def facts(self, seq: int) -> list[Fact]:
        return [(("programme", "-", "status"), self)]

    def describe(self) -> str:
        return f"status {self.status!r}, risk {self.risk!r}"


# -- actors and waves ------------------------------------------------------------------


@dataclass(frozen=True)
class ActorRegistered(Change):
    """An organisation (trust, municipality, GP office, ...) is known to the programme."""

    MUTATION: ClassVar[str] = "registerActor"
    FAMILIES: ClassVar[tuple[str, ...]] = ("actor",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "actor": "The new actor's id, a lower-case slug unique within the programme.",
        "name": "The organisation's name.",
        "kind": "What sort of organisation it is.",
        "parent": "The id of the actor it belongs to (a trust's regional authority); null when it stands alone.",
        "county": "The county it lies in; null when not given.",
    }

    actor: Slug
    name: Text
    kind: ActorKind
    parent: Slug | None = None
    county: Text | None = None

    def facts(self, seq: int) -> list[Fact]:
        return [(("actor", self.actor, "profile"), self)]

    def references(self) -> list[Reference]:
        return [("actor", self.parent, "parent")] if self.parent else []

    def describe(self) -> str:
        return f"{self.actor} registered ({self.kind.value})"


@dataclass(frozen=True)
class ActorJoined(Change):
    """An actor joined the programme's rollout."""

    MUTATION: ClassVar[str] = "joinActor"
    FAMILIES: ClassVar[tuple[str, ...]] = ("actor",)

    actor: Slug

    def facts(self, seq: int) -> list[Fact]:
        return [(("actor", self.actor, "membership"), "member")]

    def references(self) -> list[Reference]:
        return [("actor", self.actor, "actor")]

    def describe(self) -> str:
        return f"{self.actor} joined"


@dataclass(frozen=True)
class ActorLeft(Change):
    """An actor left the programme's rollout (its status becomes withdrawn)."""

    MUTATION: ClassVar[str] = "withdrawActor"
    FAMILIES: ClassVar[tuple[str, ...]] = ("actor",)

    actor: Slug

    def facts(self, seq: int) -> list[Fact]:
        return [(("actor", self.actor, "membership"), "left")]

    def references(self) -> list[Reference]:
        return [("actor", self.actor, "actor")]

    def describe(self) -> str:
        return f"{self.actor} left"


@dataclass(frozen=True)
class ActorAssignedToWave(Change):
    """An actor is planned to go live with a wave; its planned date follows the wave's."""

    MUTATION: ClassVar[str] = "assignActorToWave"
    FAMILIES: ClassVar[tuple[str, ...]] = ("actor",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "wave": "The id of the wave whose go-live the actor now follows.",
    }

    actor: Slug
    wave: Slug

    def facts(self, seq: int) -> list[Fact]:
        return [
            (("actor", self.actor, "wave"), self.wave),
            (("actor", self.actor, "schedule"), Schedule(FOLLOWS_WAVE)),
        ]

    def references(self) -> list[Reference]:
        return [("actor", self.actor, "actor"), ("wave", self.wave, "wave")]

    def describe(self) -> str:
        return f"{self.actor} assigned to {self.wave}"


@dataclass(frozen=True)
class ActorMovedToWave(ActorAssignedToWave):
    """An actor moves from one wave to another."""

    MUTATION: ClassVar[str] = "moveActorToWave"
    FAMILIES: ClassVar[tuple[str, ...]] = ("actor",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "from_wave": "The id of the wave the actor leaves; null when the source does not say.",
    }

    from_wave: Slug | None = None

    def references(self) -> list[Reference]:
        found = super().references()
        return [*found, ("wave", self.from_wave, "from_wave")] if self.from_wave else found

    def describe(self) -> str:
        return f"{self.actor} moved {('from ' + self.from_wave + ' ') if self.from_wave else ''}to {self.wave}"


@dataclass(frozen=True)
class GoLivePostponed(Change):
    """An actor's go-live is put off to its own window, or to no date at all (window None)."""

    MUTATION: ClassVar[str] = "postponeGoLive"
    FAMILIES: ClassVar[tuple[str, ...]] = ("actor",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "window": "The actor's own new go-live window; null when it is put off with no date at all (unscheduled).",
        "wave": "The id of the wave the actor was planned with, when the source names it; null otherwise.",
    }

    actor: Slug
    window: PlannedWindow | None
    wave: Slug | None = None

    def facts(self, seq: int) -> list[Fact]:
        schedule = Schedule(POSTPONED, self.window) if self.window else Schedule(UNSCHEDULED)
        return [(("actor", self.actor, "schedule"), schedule)]

    def references(self) -> list[Reference]:
        found: list[Reference] = [("actor", self.actor, "actor")]
        return [*found, ("wave", self.wave, "wave")] if self.wave else found

    def describe(self) -> str:
        return f"{self.actor} postponed to {self.window or 'unscheduled'}"


@dataclass(frozen=True)
class GoLiveScheduled(Change):
    """An actor's go-live is planned on a window of its own, outside any wave (its status: scheduled)."""

    MUTATION: ClassVar[str] = "scheduleGoLive"
    FAMILIES: ClassVar[tuple[str, ...]] = ("actor",)
    MODE: ClassVar[str] = SCHEDULED  # the schedule mode, and so the status, this entry leaves
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "window": "The actor's own go-live window, outside any wave.",
    }

    actor: Slug
    window: PlannedWindow

    def facts(self, seq: int) -> list[Fact]:
        return [(("actor", self.actor, "schedule"), Schedule(self.MODE, self.window))]

    def references(self) -> list[Reference]:
        return [("actor", self.actor, "actor")]

    def describe(self) -> str:
        return f"{self.actor} {self.MODE} for {self.window}"


@dataclass(frozen=True)
class GoLiveRescheduled(GoLiveScheduled):
    """An actor's own planned window (not its wave's) moves, earlier or later (its status: rescheduled).

    Checked: the actor must already be planned on a window of its own or unscheduled; an actor
    that follows its wave is postponed or scheduled instead.
    """

    MUTATION: ClassVar[str] = "rescheduleGoLive"
    MODE: ClassVar[str] = RESCHEDULED


@dataclass(frozen=True)
class ActorRestoredToWave(Change):
    """An actor taken off its wave's plan (postponed, scheduled, unscheduled) follows that wave again.

    Its status becomes planned. Checked: the actor must be in `wave` and off its plan on the
    effective date.
    """

    MUTATION: ClassVar[str] = "restoreActorToWave"
    FAMILIES: ClassVar[tuple[str, ...]] = ("actor",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "wave": "The id of the wave the actor follows again: the wave it was in when taken off its plan.",
    }

    actor: Slug
    wave: Slug

    def facts(self, seq: int) -> list[Fact]:
        return [(("actor", self.actor, "schedule"), Schedule(FOLLOWS_WAVE))]

    def references(self) -> list[Reference]:
        return [("actor", self.actor, "actor"), ("wave", self.wave, "wave")]

    def describe(self) -> str:
        return f"{self.actor} restored to {self.wave}"


@dataclass(frozen=True)
class GoLiveRecorded(Change):
    """Actors went live on the entry's effective date, at a local time of day (`at`) if the source gave one."""

    MUTATION: ClassVar[str] = "recordGoLive"
    NON_EMPTY: ClassVar[tuple[str, ...]] = ("actors",)
    FAMILIES: ClassVar[tuple[str, ...]] = ("actor",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "actors": "The ids of the actors that went live, at least one.",
        "wave": "The id of the wave they went live in; null when they went live outside a wave.",
        "at": "The local time of day and IANA time zone of the go-live, \"22:00 Europe/Oslo\"; null when the "
              "source gave only the day.",
    }

    actors: tuple[Slug, ...]
    wave: Slug | None = None
    at: LocalTime | None = None

    def facts(self, seq: int) -> list[Fact]:
        return [(("actor", actor, "golive"), GoLive(self.wave, self.at)) for actor in self.actors]

    def references(self) -> list[Reference]:
        found = [("actor", actor, f"actors[{i}]") for i, actor in enumerate(self.actors)]
        return [*found, ("wave", self.wave, "wave")] if self.wave else found

    def describe(self) -> str:
        wave = f" in {self.wave}" if self.wave else ""
        at = f" at {self.at}" if self.at else ""
        return f"go-live{wave}{at}: {', '.join(self.actors)}"


@dataclass(frozen=True)
class WavePlanned(Change):
    """A production wave (go-live batch) is planned with a window."""

    MUTATION: ClassVar[str] = "planWave"
    FAMILIES: ClassVar[tuple[str, ...]] = ("wave",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "wave": "The new wave's id, a lower-case slug unique within the programme.",
        "code": "The wave's short code as the programme uses it, such as \"PD5\".",
        "window": "When the wave is planned to go live.",
        "name": "The wave's longer name; null when it has none.",
    }

    wave: Slug
    code: Text
    window: PlannedWindow
    name: Text | None = None

    def facts(self, seq: int) -> list[Fact]:
        return [
            (("wave", self.wave, "profile"), self),
            (("wave", self.wave, "window"), self.window),
        ]

    def describe(self) -> str:
        return f"wave {self.code} planned for {self.window}"


@dataclass(frozen=True)
class WaveRescheduled(Change):
    """A wave's planned window changes."""

    MUTATION: ClassVar[str] = "rescheduleWave"
    FAMILIES: ClassVar[tuple[str, ...]] = ("wave",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "window": "The wave's new planned go-live window; actors that follow the wave move with it.",
    }

    wave: Slug
    window: PlannedWindow

    def facts(self, seq: int) -> list[Fact]:
        return [(("wave", self.wave, "window"), self.window)]

    def references(self) -> list[Reference]:
        return [("wave", self.wave, "wave")]

    def describe(self) -> str:
        return f"{self.wave} rescheduled to {self.window}"


# -- deliverables ----------------------------------------------------------------------


@dataclass(frozen=True)
class DeliverablePlanned(Change):
    """A deliverable or milestone is planned."""

    MUTATION: ClassVar[str] = "planDeliverable"
    FAMILIES: ClassVar[tuple[str, ...]] = ("deliverable",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "deliverable": "The new deliverable's id, a lower-case slug unique within the programme.",
        "name": "What is to be delivered, such as \"Contract signed\".",
        "window": "When it is planned to be complete.",
    }

    deliverable: Slug
    name: Text
    window: PlannedWindow

    def facts(self, seq: int) -> list[Fact]:
        return [
            (("deliverable", self.deliverable, "profile"), self),
            (("deliverable", self.deliverable, "window"), self.window),
        ]

    def describe(self) -> str:
        return f"deliverable {self.name!r} planned for {self.window}"


@dataclass(frozen=True)
class DeliverableRescheduled(Change):
    """A deliverable's planned window changes."""

    MUTATION: ClassVar[str] = "rescheduleDeliverable"
    FAMILIES: ClassVar[tuple[str, ...]] = ("deliverable",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "window": "The deliverable's new planned window.",
    }

    deliverable: Slug
    window: PlannedWindow

    def facts(self, seq: int) -> list[Fact]:
        return [(("deliverable", self.deliverable, "window"), self.window)]

    def references(self) -> list[Reference]:
        return [("deliverable", self.deliverable, "deliverable")]

    def describe(self) -> str:
        return f"{self.deliverable} rescheduled to {self.window}"


@dataclass(frozen=True)
class DeliverableCompleted(Change):
    """A deliverable was completed on the entry's effective date."""

    MUTATION: ClassVar[str] = "completeDeliverable"
    FAMILIES: ClassVar[tuple[str, ...]] = ("deliverable",)

    deliverable: Slug

    def facts(self, seq: int) -> list[Fact]:
        return [(("deliverable", self.deliverable, "completed"), True)]

    def references(self) -> list[Reference]:
        return [("deliverable", self.deliverable, "deliverable")]

    def describe(self) -> str:
        return f"{self.deliverable} completed"


# -- money -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReserveEstablished(Change):
    """A cost reserve (such as a risk reserve) is set up with a total."""

    MUTATION: ClassVar[str] = "establishReserve"
    FAMILIES: ClassVar[tuple[str, ...]] = ("reserve",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "reserve": "The new reserve's id, a lower-case slug unique within the programme.",
        "name": "The reserve's name, such as \"Risk reserve\".",
        "total": "The reserve's total in NOK (at most two decimals, not negative).",
    }

    reserve: Slug
    name: Text
    total: Decimal

    def facts(self, seq: int) -> list[Fact]:
        return [
            (("reserve", self.reserve, "profile"), self),
            (("reserve", self.reserve, "total"), self.total),
        ]

    def describe(self) -> str:
        return f"reserve {self.name!r} established with {self.total} NOK"


@dataclass(frozen=True)
class ReserveChanged(Change):
    """A reserve's total changes."""

    MUTATION: ClassVar[str] = "changeReserve"
    FAMILIES: ClassVar[tuple[str, ...]] = ("reserve",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "total": "The reserve's new total in NOK; it may not fall below what is allocated from it.",
    }

    reserve: Slug
    total: Decimal

    def facts(self, seq: int) -> list[Fact]:
        return [(("reserve", self.reserve, "total"), self.total)]

    def references(self) -> list[Reference]:
        return [("reserve", self.reserve, "reserve")]

    def describe(self) -> str:
        return f"{self.reserve} total set to {self.total} NOK"


@dataclass(frozen=True)
class AllocationMade(Change):
    """An amount of a reserve is set aside for a purpose."""

    MUTATION: ClassVar[str] = "makeAllocation"
    FAMILIES: ClassVar[tuple[str, ...]] = ("allocation",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "allocation": "The new allocation's id, a lower-case slug unique within the programme.",
        "reserve": "The id of the reserve the money comes from.",
        "purpose": "What the money is for.",
        "amount": "The amount set aside in NOK; it may not exceed what remains of the reserve.",
        "actors": "The ids of the actors the money is for; empty when it concerns the programme as a whole.",
    }

    allocation: Slug
    reserve: Slug
    purpose: Text
    amount: Decimal
    actors: tuple[Slug, ...] = ()

    def facts(self, seq: int) -> list[Fact]:
        return [
            (("allocation", self.allocation, "profile"), self),
            (("allocation", self.allocation, "amount"), self.amount),
        ]

    def references(self) -> list[Reference]:
        found = [("actor", actor, f"actors[{i}]") for i, actor in enumerate(self.actors)]
        return [("reserve", self.reserve, "reserve"), *found]

    def describe(self) -> str:
        return f"{self.amount} NOK of {self.reserve} allocated to {self.purpose!r}"


@dataclass(frozen=True)
class AllocationRevised(Change):
    """An allocation's amount changes."""

    MUTATION: ClassVar[str] = "reviseAllocation"
    FAMILIES: ClassVar[tuple[str, ...]] = ("allocation",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "amount": "The allocation's new amount in NOK (replaces the old one, not added to it).",
    }

    allocation: Slug
    amount: Decimal

    def facts(self, seq: int) -> list[Fact]:
        return [(("allocation", self.allocation, "amount"), self.amount)]

    def references(self) -> list[Reference]:
        return [("allocation", self.allocation, "allocation")]

    def describe(self) -> str:
        return f"{self.allocation} revised to {self.amount} NOK"


@dataclass(frozen=True)
class AllocationReleased(Change):
    """Part of an allocation is paid out to its purpose."""

    MUTATION: ClassVar[str] = "releaseAllocation"
    FAMILIES: ClassVar[tuple[str, ...]] = ("allocation",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "amount": "The amount paid out in NOK, added to what was released before; never more than the allocation.",
    }

    allocation: Slug
    amount: Decimal

    def facts(self, seq: int) -> list[Fact]:
        return [(("allocation", self.allocation, f"release:{seq}"), self.amount)]

    def references(self) -> list[Reference]:
        return [("allocation", self.allocation, "allocation")]

    def describe(self) -> str:
        return f"{self.amount} NOK of {self.allocation} released"


@dataclass(frozen=True)
class CostRecorded(Change):
    """An actual cost is booked against an allocation."""

    MUTATION: ClassVar[str] = "recordCost"
    FAMILIES: ClassVar[tuple[str, ...]] = ("allocation",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "amount": "The cost booked in NOK, added to the allocation's costs so far.",
    }

    allocation: Slug
    amount: Decimal

    def facts(self, seq: int) -> list[Fact]:
        return [(("allocation", self.allocation, f"cost:{seq}"), self.amount)]

    def references(self) -> list[Reference]:
        return [("allocation", self.allocation, "allocation")]

    def describe(self) -> str:
        return f"{self.amount} NOK cost booked on {self.allocation}"


# -- budgets and costs -----------------------------------------------------------------

PROGRAMME_SCOPE = "programme"


class CostBasis(StrEnum):
    """Whether an estimate is a one-off amount or a cost for every year."""

    ONE_OFF = "one_off"
    PER_YEAR = "per_year"


COST_BASIS_HELP: dict[CostBasis, str] = {
    CostBasis.ONE_OFF: "Once, in total (an investment, a project's cost); compared with the budget.",
    CostBasis.PER_YEAR: "Every year (running costs, licences); shown beside the budget, not against it.",
}


@dataclass(frozen=True, kw_only=True)
class CostScope:
    """What a budget, estimate or cost report is for: the whole programme (no scope field), some
    actors together (`actors`), a wave or a deliverable. Not an entry type: a part of several."""

    actors: tuple[Slug, ...] = ()
    wave: Slug | None = None
    deliverable: Slug | None = None

    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "actors": "The actors the amount is for, together (a project for two trusts, say); give no scope "
                  "field for the whole programme, and at most one of actors, wave and deliverable.",
        "wave": "The wave the amount is for (a lower-case slug, as planned by WavePlanned); null: not a wave's.",
        "deliverable": "The deliverable the amount is for (as planned by DeliverablePlanned); null: not a "
                       "deliverable's.",
    }

    def __post_init__(self) -> None:
        given = [name for name in ("actors", "wave", "deliverable") if getattr(self, name)]
        if len(given) > 1:
            raise InvalidInput(f"give one scope (actors, wave or deliverable), not {' and '.join(given)}",
                               field=given[1])
        if len(set(self.actors)) != len(self.actors):
            raise InvalidInput("names an actor twice", field="actors")

    @property
    def scope(self) -> str:
        """The scope as a subject id: `programme`, `actor:a+b`, `wave:pd5` or `deliverable:d`."""
        if self.actors:
            return "actor:" + "+".join(sorted(self.actors))
        if self.wave:
            return f"wave:{self.wave}"
        return f"deliverable:{self.deliverable}" if self.deliverable else PROGRAMME_SCOPE

    @property
    def scope_field(self) -> str:
        """The field that names the scope, for errors about it."""
        return "actors" if self.actors else "wave" if self.wave else "deliverable" if self.deliverable else "type"

    def scope_references(self) -> list[Reference]:
        """The actors, wave or deliverable the scope names, which must be registered."""
        found: list[Reference] = [("actor", actor, f"actors[{i}]") for i, actor in enumerate(self.actors)]
        if self.wave:
            found.append(("wave", self.wave, "wave"))
        if self.deliverable:
            found.append(("deliverable", self.deliverable, "deliverable"))
        return found


@dataclass(frozen=True)
class BudgetSet(CostScope, Change):
    """A budget is set for the programme, or for some actors, a wave or a deliverable; the amount
    set first stays the original budget, which later revisions are measured against."""

    MUTATION: ClassVar[str] = "setBudget"
    FAMILIES: ClassVar[tuple[str, ...]] = ("budget",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "amount": "The budget as the source stated it (a money window); it stays the original budget.",
        "name": "The budget's name, such as \"Innføring i HNT og HMR\"; null when not given.",
    }

    amount: MoneyWindow
    name: Text | None = None

    def facts(self, seq: int) -> list[Fact]:
        return [(("budget", self.scope, "profile"), self), (("budget", self.scope, "amount"), self.amount)]

    def references(self) -> list[Reference]:
        return self.scope_references()

    def describe(self) -> str:
        return f"budget for {self.scope} set to {self.amount}"


@dataclass(frozen=True)
class BudgetRevised(CostScope, Change):
    """A budget already set is revised: the current budget changes, the original stays."""

    MUTATION: ClassVar[str] = "reviseBudget"
    FAMILIES: ClassVar[tuple[str, ...]] = ("budget",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "amount": "The revised budget as the source stated it (a money window): the current budget from now on.",
    }

    amount: MoneyWindow

    def facts(self, seq: int) -> list[Fact]:
        return [(("budget", self.scope, "amount"), self.amount)]

    def references(self) -> list[Reference]:
        return [*self.scope_references(), ("budget", self.scope, self.scope_field)]

    def describe(self) -> str:
        return f"budget for {self.scope} revised to {self.amount}"


@dataclass(frozen=True)
class CostEstimated(CostScope, Change):
    """A cost is estimated, once or per year, for the programme or a scope; estimates of one scope
    and basis add up (a base estimate and a measures package, say)."""

    MUTATION: ClassVar[str] = "estimateCost"
    FAMILIES: ClassVar[tuple[str, ...]] = ("estimate",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "estimate": "The new estimate's id, a lower-case slug unique within the programme.",
        "name": "What is estimated, such as \"Running costs\" or \"Measures package\".",
        "basis": "Whether the amount is once (one-off) or every year (per year).",
        "amount": "The estimate as the source stated it (a money window).",
    }

    estimate: Slug
    name: Text
    basis: CostBasis
    amount: MoneyWindow

    def facts(self, seq: int) -> list[Fact]:
        return [(("estimate", self.estimate, "profile"), self), (("estimate", self.estimate, "amount"), self.amount)]

    def references(self) -> list[Reference]:
        return self.scope_references()

    def describe(self) -> str:
        per = " a year" if self.basis is CostBasis.PER_YEAR else ""
        return f"{self.name!r} estimated at {self.amount}{per} for {self.scope}"


@dataclass(frozen=True)
class CostEstimateRevised(Change):
    """An estimate is revised (raised or lowered); its basis and scope stay."""

    MUTATION: ClassVar[str] = "reviseCostEstimate"
    FAMILIES: ClassVar[tuple[str, ...]] = ("estimate",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "estimate": "The estimate's id (as given by CostEstimated).",
        "amount": "The revised estimate as the source stated it (a money window), on the same basis.",
    }

    estimate: Slug
    amount: MoneyWindow

    def facts(self, seq: int) -> list[Fact]:
        return [(("estimate", self.estimate, "amount"), self.amount)]

    def references(self) -> list[Reference]:
        return [("estimate", self.estimate, "estimate")]

    def describe(self) -> str:
        return f"estimate {self.estimate} revised to {self.amount}"


@dataclass(frozen=True)
class CostToDateReported(CostScope, Change):
    """What has been spent so far on the programme or a scope, as reported on the effective date
    (often a floor: "at least 5 bn so far"); a later report replaces an earlier one."""

    MUTATION: ClassVar[str] = "reportCostToDate"
    FAMILIES: ClassVar[tuple[str, ...]] = ("cost",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "amount": "What has been spent so far as the source stated it (a money window, often at least).",
    }

    amount: MoneyWindow

    def facts(self, seq: int) -> list[Fact]:
        return [(("cost", self.scope, "to-date"), self.amount)]

    def references(self) -> list[Reference]:
        return self.scope_references()

    def describe(self) -> str:
        return f"cost to date for {self.scope}: {self.amount}"


# -- statements and baselines ----------------------------------------------------------


@dataclass(frozen=True)
class StatementRecorded(Change):
    """A dated statement or finding, such as a user committee's statement."""

    MUTATION: ClassVar[str] = "recordStatement"
    FAMILIES: ClassVar[tuple[str, ...]] = ("statement",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "kind": "What sort of statement it is, a lower-case slug such as \"statement\", \"audit\" or \"finding\".",
        "title": "The statement's title.",
        "summary": "What it says, in short.",
        "by": "Who made it, such as \"User committees\"; null when not given.",
        "actors": "The ids of the actors it concerns; empty when it concerns the programme as a whole.",
    }

    kind: Slug
    title: Text
    summary: Text
    by: Text | None = None
    actors: tuple[Slug, ...] = ()

    def facts(self, seq: int) -> list[Fact]:
        return [(("statement", str(seq), "profile"), self)]

    def references(self) -> list[Reference]:
        return [("actor", actor, f"actors[{i}]") for i, actor in enumerate(self.actors)]

    def describe(self) -> str:
        return f"{self.kind}: {self.title}"


@dataclass(frozen=True)
class BaselineNamed(Change):
    """A named baseline: the plan as of `as_of` (for example "original plan")."""

    MUTATION: ClassVar[str] = "nameBaseline"
    ROLE: ClassVar[str] = "admin"
    FAMILIES: ClassVar[tuple[str, ...]] = ("baseline",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "name": "The baseline's name, such as \"original plan\"; comparisons name it.",
        "as_of": "The date whose plan the baseline freezes: the plan as of that day, as recorded at comparison time.",
        "description": "Why this plan is a baseline; null when not given.",
    }

    name: Text
    as_of: date
    description: Text | None = None

    def facts(self, seq: int) -> list[Fact]:
        return [(("baseline", self.name, "profile"), self)]

    def describe(self) -> str:
        return f"baseline {self.name!r} = plan as of {self.as_of}"


@dataclass(frozen=True)
class BaselineAdopted(Change):
    """A named baseline becomes the current one (re-baselining), from the entry's effective date.

    Comparisons then show slip against the baseline asked for and against the current one side
    by side. Record who decided it (`deciding_body`) and the source, like any entry.
    """

    MUTATION: ClassVar[str] = "adoptBaseline"
    ROLE: ClassVar[str] = "admin"
    FAMILIES: ClassVar[tuple[str, ...]] = ("baseline",)
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "name": "The name of the baseline adopted as the current one (named earlier by BaselineNamed).",
    }

    name: Text

    def facts(self, seq: int) -> list[Fact]:
        # On the baseline's own subject, so its registration cannot be retracted under an adoption.
        return [(("baseline", self.name, "adopted"), self.name)]

    def references(self) -> list[Reference]:
        return [("baseline", self.name, "name")]

    def describe(self) -> str:
        return f"baseline {self.name!r} adopted as the current baseline"


# -- entries about entries -------------------------------------------------------------


@dataclass(frozen=True)
class DecisionRecorded(Change):
    """A decision (board, committee) making several changes at once: all or none."""

    MUTATION: ClassVar[str] = "recordDecision"
    NON_EMPTY: ClassVar[tuple[str, ...]] = ("changes",)
    STANDALONE: ClassVar[bool] = True
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "title": "The decision's title, such as the board item's heading.",
        "changes": "The changes the decision makes, at least one; all are recorded or none.",
    }

    title: Text
    changes: tuple[Change, ...]

    def facts(self, seq: int) -> list[Fact]:
        return [fact for change in self.changes for fact in change.facts(seq)]

    def references(self) -> list[Reference]:
        return [
            (kind, slug, f"changes[{i}].{field}")
            for i, change in enumerate(self.changes)
            for kind, slug, field in change.references()
        ]

    def describe(self) -> str:
        return f"decision {self.title!r}: " + "; ".join(c.describe() for c in self.changes)


@dataclass(frozen=True)
class EntryCorrected(Change):
    """An earlier entry's content is replaced, from now on; the original stays on record.

    `target_entry` is the entry id (`programme:sequence`); a client may name the target by its
    idempotency key instead, and the ledger fills in the id. `effective` is the corrected
    entry's effective date (None keeps the original's).
    """

    MUTATION: ClassVar[str] = "correctEntry"
    ROLE: ClassVar[str] = "admin"
    STANDALONE: ClassVar[bool] = True
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "replacement": "The entry's corrected content, of the same type as the original.",
        "target_entry": "The id of the entry corrected (programme:sequence); give this or target_key.",
        "target_key": "The idempotency key of the entry corrected; give this or target_entry.",
        "effective": "The corrected entry's effective date; null keeps the original's.",
    }

    replacement: Change
    target_entry: Text | None = None
    target_key: Text | None = None
    effective: date | None = None

    def facts(self, seq: int) -> list[Fact]:
        return []

    def describe(self) -> str:
        return f"corrects {self.target_entry or self.target_key}: {self.replacement.describe()}"


@dataclass(frozen=True)
class EntryRetracted(Change):
    """An earlier entry is withdrawn, from now on; the original stays on record."""

    MUTATION: ClassVar[str] = "retractEntry"
    ROLE: ClassVar[str] = "admin"
    STANDALONE: ClassVar[bool] = True
    FIELD_HELP: ClassVar[Mapping[str, str]] = {
        "target_entry": "The id of the entry withdrawn (programme:sequence); give this or target_key.",
        "target_key": "The idempotency key of the entry withdrawn; give this or target_entry.",
    }

    target_entry: Text | None = None
    target_key: Text | None = None

    def facts(self, seq: int) -> list[Fact]:
        return []

    def describe(self) -> str:
        return f"retracts {self.target_entry or self.target_key}"


def change_types() -> Mapping[str, type[Change]]:
    """Every entry type by name (do not change the mapping: define a class instead)."""
    return _REGISTRY


def registry_key() -> tuple[type[Change], ...]:
    """What is registered now, for caches of things derived from the declarations."""
    return tuple(_REGISTRY.values())


def registry_generation() -> int:
    """A number that changes whenever an entry type is registered (cheaper than `registry_key`)."""
    return _GENERATION[0]


def fact_families() -> tuple[str, ...]:
    """Every fact family some registered entry type declares, sorted."""
    return _families(registry_key())


@cache
def _families(registered: tuple[type[Change], ...]) -> tuple[str, ...]:
    return tuple(sorted({family for cls in registered for family in cls.FAMILIES}))


@contextmanager
def temporary_change_types() -> Iterator[None]:
    """Entry types defined inside the block are forgotten after it (for tests and trials)."""
    saved = dict(_REGISTRY)
    try:
        yield
    finally:
        _REGISTRY.clear()
        _REGISTRY.update(saved)
