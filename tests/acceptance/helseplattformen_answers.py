"""Expected answers for the Helseplattformen acceptance tests, as helseplattformen_expectations.md gives them.

Everything here is copied from that file (which cites the source documents in shared/seeds/);
nothing is taken from what the ledger answers. Windows are written as
(earliest, latest, precision) with ISO dates and None for a bound the source did not give.
"""

from __future__ import annotations

from typing import Any

from ledger.values import PlannedWindow

PROGRAMME = "helseplattformen"
ORIGINAL_PLAN = "original plan"
ORIGINAL_PLAN_AS_OF = "2022-03-01"  # conventions: the plan as of 2022-03-01 (003, published 01.03.2022)
COMPARED_ON = "2023-06-01"  # section I: baseline `original plan` against as-of 2023-06-01

Shape = tuple[str | None, str | None, str]

# Planned windows (conventions section: seasons, months, days).
PD1_DAY: Shape = ("2022-04-30", "2022-04-30", "day")  # 003 l.11 "30.april 2022"
HOSTEN_2022: Shape = ("2022-08-01", "2022-12-31", "season")  # 003 l.11
VAREN_2023: Shape = ("2023-01-01", "2023-06-30", "season")  # 003 l.11
PD4_DAY: Shape = ("2023-04-29", "2023-04-29", "day")  # 001 l.114-120
NOV_23: Shape = ("2023-11-01", "2023-11-30", "month")  # 001 l.128 "nov 23"
PD6_DAY: Shape = ("2024-04-27", "2024-04-27", "day")  # 001 l.130-136
ETTER_SOMMEREN_2022: Shape = ("2022-08-01", None, "season")  # 001 l.96
FOR_SOMMEREN_2024: Shape = (None, "2024-06-30", "season")  # 000 l.4-8
OKT_NOV_2024: Shape = ("2024-10-01", "2024-11-30", "window")  # 000 l.4-8
HOSTEN_2024: Shape = ("2024-08-01", "2024-12-31", "season")  # 000 l.6
STARTEN_AV_2019: Shape = ("2019-01-01", "2019-06-30", "half")  # 004 l.5

# Actors (questions 8, 12, 13, 14, 15, 19).
TRONDHEIM_UNITS = ("trondheim", "trondheim-kommunalt-fastlegekontor", "trondheim-legevakt")  # 001 l.90-96
PD1_ORIGINAL = ("st-olavs-hospital", *TRONDHEIM_UNITS)
PD2_MUNICIPALITIES = ("roros", "holtalen", "os", "indre-fosen", "orland", "afjord")  # 001 l.98-104
PD3_MUNICIPALITIES = ("levanger", "verdal")  # 001 l.106-112
MORE_NINE = ("aukra", "fjord", "hustadvika", "kristiansund", "molde", "rauma", "rindal", "sula", "vestnes")  # 001 l.128
PD6_MUNICIPALITIES = ("midtre-gauldal", "rennebu", "melhus", "oppdal", "selbu", "tydal")  # 001 l.136
SERVICE_AGREEMENT_18 = (  # 003 l.11: the 18 municipalities planned up to spring 2023
    "verdal", "levanger", "afjord", "indre-fosen", "orland", "holtalen", "roros", "os", "kristiansund",
    "hustadvika", "molde", "rauma", "aukra", "vestnes", "alesund", "fjord", "rindal", "sula",
)
MUNICIPALITIES = frozenset(("trondheim", *SERVICE_AGREEMENT_18, *PD6_MUNICIPALITIES, "kristiansand"))  # question 8
JOINED_ON_2017_09_30 = MUNICIPALITIES - {"trondheim", "os", "kristiansand"}  # question 10
LIVE_MUNICIPALITIES_MAY_2023 = frozenset(("trondheim", *PD2_MUNICIPALITIES, *PD3_MUNICIPALITIES))  # question 25

# Question 27: deliverables complete on each date.
DELIVERABLES_COMPLETE = [
    ("2019-03-31", 0), ("2019-04-01", 2), ("2019-11-01", 3), ("2020-08-01", 4), ("2022-01-31", 5),
    ("2022-04-29", 6), ("2022-05-07", 7), ("2022-11-12", 8), ("2023-02-11", 9), ("2023-05-01", 9),
    ("2024-01-01", 9),
]
# Question 28: completion dates (None = not complete).
COMPLETED_ON = {
    "anskaffelse-kontrakt": "2019-04-01", "forberedelsesfase": "2019-04-01", "spesifikasjonsfase": "2019-11-01",
    "utviklingsfase": "2020-08-01", "akseptansetestfase": "2022-01-31", "opplaeringsfase": "2022-04-29",
    "go-live-pd1": "2022-05-07", "go-live-pd2": "2022-11-12", "go-live-pd3": "2023-02-11",
    "go-live-pd4": None, "go-live-pd5": None, "go-live-pd6": None,
}
PHASES = ("forberedelsesfase", "spesifikasjonsfase", "utviklingsfase", "akseptansetestfase", "opplaeringsfase")
# Question 29: planned windows of the go-live deliverables.
GO_LIVE_DELIVERABLE_WINDOWS = {
    "go-live-pd1": PD1_DAY, "go-live-pd2": HOSTEN_2022, "go-live-pd3": VAREN_2023,
    "go-live-pd4": PD4_DAY, "go-live-pd5": NOV_23, "go-live-pd6": PD6_DAY,
}

# Questions 16-18 and 20: (question, actor, as of, wave, status, window) before and after each change.
PLAN_CHANGES = [
    ("Q16", "st-olavs-hospital", "2022-04-28", "pd1", "planned", PD1_DAY),
    ("Q16", "st-olavs-hospital", "2022-04-29", "pd2", "postponed", ETTER_SOMMEREN_2022),
    ("Q17", "helse-nord-trondelag", "2023-02-09", "pd3", "planned", VAREN_2023),
    ("Q17", "helse-nord-trondelag", "2023-02-10", "pd5", "postponed", NOV_23),
    ("Q18", "helse-more-og-romsdal", "2023-03-19", "pd5", "planned", NOV_23),
    ("Q18", "helse-more-og-romsdal", "2023-03-20", "pd6", "postponed", PD6_DAY),
    ("Q20", "helse-nord-trondelag", "2023-05-15", "pd5", "postponed", NOV_23),
    ("Q20", "helse-more-og-romsdal", "2023-05-15", "pd6", "postponed", PD6_DAY),
    ("Q20", "helse-more-og-romsdal", "2023-05-16", "pd6", "postponed", FOR_SOMMEREN_2024),
    ("Q20", "helse-nord-trondelag", "2023-05-16", "pd5", "postponed", OKT_NOV_2024),
    ("Q20", "sykehuset-levanger", "2023-05-16", None, "postponed", HOSTEN_2024),
    ("Q20", "sykehuset-namsos", "2023-05-16", None, "postponed", HOSTEN_2024),
]


def plan_change_id(row: tuple[Any, ...]) -> str:
    """A readable test id for a PLAN_CHANGES row."""
    return f"{row[0]} {row[1]} as of {row[2]}"


# Questions 33-38: (baseline, actual go-live, slip earliest, slip latest, status) against 2023-06-01.
COMPARISON_ACTORS: dict[str, tuple[Shape | None, str | None, int | None, int | None, str]] = {
    **dict.fromkeys(TRONDHEIM_UNITS, (PD1_DAY, "2022-05-07", 7, 7, "late")),  # Q33
    "st-olavs-hospital": (PD1_DAY, "2022-11-12", 196, 196, "late"),  # Q34
    **dict.fromkeys(PD2_MUNICIPALITIES, (HOSTEN_2022, "2022-11-12", 103, -49, "on time")),  # Q35
    **dict.fromkeys(PD3_MUNICIPALITIES, (VAREN_2023, "2023-02-11", 41, -139, "on time")),  # Q35
    "helse-nord-trondelag": (VAREN_2023, None, 639, 519, "not yet live"),  # Q36
    "helse-more-og-romsdal": (NOV_23, None, None, 213, "not yet live"),  # Q36
    "alesund": (PD4_DAY, None, 0, 0, "overdue"),  # Q37 (33 days overdue)
    **dict.fromkeys((*PD6_MUNICIPALITIES, "sykehuset-levanger", "sykehuset-namsos"),
                    (None, None, None, None, "added")),  # Q37
}
COMPARISON_SUMMARY = {"added": 8, "late": 4, "not yet live": 11, "overdue": 1, "on time": 8}  # Q37
ALESUND_DAYS_OVERDUE = {"2023-05-16": 17, COMPARED_ON: 33}  # Q25, Q37: PD4's day 2023-04-29 has passed
COMPARISON_WAVES: dict[str, tuple[str | None, int | None, int | None, str]] = {  # Q38
    "pd1": ("2022-05-07", 7, 7, "late"),
    "pd2": ("2022-11-12", 103, -49, "on time"),
    "pd3": ("2023-02-11", 41, -139, "on time"),
    "pd4": (None, 0, 0, "overdue"),
    "pd5": (None, 0, 0, "not yet live"),
    "pd6": (None, None, None, "added"),
}

# Task 4: every entry that moved the planned go-live of the two later trusts, in effective order:
# (entry key, effective, wave, status, window the entry left).
HISTORY: dict[str, list[tuple[str, str, str, str, Shape]]] = {
    "helse-nord-trondelag": [
        ("hp-assign-helse-nord-trondelag-pd3", "2022-02-28", "pd3", "planned", VAREN_2023),  # Q13
        ("hp-2023-hnt-postponed-pd3-to-pd5", "2023-02-10", "pd5", "postponed", NOV_23),  # Q17
        ("hp-2023-05-16-revised-plan", "2023-05-16", "pd5", "postponed", OKT_NOV_2024),  # Q20
    ],
    "helse-more-og-romsdal": [
        ("hp-assign-helse-more-og-romsdal-pd5", "2022-02-28", "pd5", "planned", NOV_23),  # Q14
        ("hp-2023-hmr-postponed-pd5-to-pd6", "2023-03-20", "pd6", "postponed", PD6_DAY),  # Q18
        ("hp-2023-05-16-revised-plan", "2023-05-16", "pd6", "postponed", FOR_SOMMEREN_2024),  # Q20
    ],
}

# Question 42: entries by type in the bundled file.
ENTRY_COUNTS = {
    "ActorRegistered": 45, "ActorAssignedToWave": 30, "ActorJoined": 24, "DeliverablePlanned": 12,
    "StatementRecorded": 11, "DeliverableCompleted": 9, "WavePlanned": 6, "DecisionRecorded": 6,
    "GoLiveRecorded": 3, "BaselineNamed": 2, "ProgrammeRegistered": 1, "StatusAssessed": 1,
    "BaselineAdopted": 1, "ReserveEstablished": 1, "AllocationMade": 1, "AllocationRevised": 1,
    "BudgetSet": 1, "BudgetRevised": 1,
}
ENTRIES = 156


# Question 11: the baseline the board adopted on 2023-05-16 (000 l.4-8).
REVISED_PLAN = "revidert innføringsplan 2023"
REVISED_PLAN_AS_OF = "2023-05-16"
REVISED_PLAN_BODY = "Styret for Helse Midt-Norge RHF"

# Question 43: days overdue on 2026-12-01, from each window's latest day.
OVERDUE_ON = "2026-12-01"
OVERDUE_WAVES = {"pd4": 1312, "pd5": 1097, "pd6": 948}
OVERDUE_ACTORS = {
    "alesund": 1312, **dict.fromkeys(MORE_NINE, 1097), **dict.fromkeys(PD6_MUNICIPALITIES, 948),
    "helse-more-og-romsdal": 884, "helse-nord-trondelag": 731, "sykehuset-levanger": 700, "sykehuset-namsos": 700,
}

# Question 44: (slip earliest, slip latest, status) against the original and against the current baseline,
# baseline `original plan` against 2024-01-01.
SIDE_BY_SIDE_ON = "2024-01-01"
SIDE_BY_SIDE_ACTORS: dict[str, tuple[tuple[int | None, int | None, str], tuple[int | None, int | None, str]]] = {
    "helse-nord-trondelag": ((639, 519, "not yet live"), (0, 0, "not yet live")),
    "helse-more-og-romsdal": ((None, 213, "not yet live"), (None, 0, "not yet live")),
    "sykehuset-levanger": ((None, None, "added"), (0, 0, "not yet live")),
    "alesund": ((0, 0, "overdue"), (0, 0, "overdue")),
}
SIDE_BY_SIDE_WAVES: dict[str, tuple[tuple[int | None, int | None, str], tuple[int | None, int | None, str]]] = {
    "pd5": ((0, 0, "overdue"), (0, 0, "overdue")),
    "pd6": ((None, None, "added"), (0, 0, "not yet live")),
}


def shape(window: PlannedWindow | None) -> Shape | None:
    """(earliest, latest, precision) of a window from the projections."""
    if window is None:
        return None
    earliest = None if window.earliest is None else window.earliest.isoformat()
    latest = None if window.latest is None else window.latest.isoformat()
    return (earliest, latest, window.precision.value)


def json_shape(window: dict[str, Any] | None) -> Shape | None:
    """(earliest, latest, precision) of a window in JSON (GraphQL or `--json`)."""
    if window is None:
        return None
    return (window["earliest"], window["latest"], window["precision"])


def collapsed(windows: list[Shape | None]) -> list[Shape]:
    """The distinct planned windows in order: rows without a plan dropped, repeats collapsed."""
    found: list[Shape] = []
    for window in windows:
        if window is not None and (not found or found[-1] != window):
            found.append(window)
    return found
