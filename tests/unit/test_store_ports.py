"""Both stores implement every repository Protocol of store/ports.py, method for method, with
the same parameters (names, kinds and defaults): the services may be handed either."""
import inspect

import pytest

from chalicelib.store import ports

PAIRS = [  # (Protocol, DynamoDB class "module:Class", memory class)
    (ports.LeadRepository, "leads:LeadRepo", "MemoryLeadRepo"),
    (ports.EnrollmentRepository, "enrollments:EnrollmentRepo", "MemoryEnrollmentRepo"),
    (ports.UnitOfWork, "unit_of_work:UnitOfWork", "MemoryUnitOfWork"),
    (ports.TouchRepository, "touches:TouchRepo", "MemoryTouchRepo"),
    (ports.TimelineRepository, "timeline:TimelineRepo", "MemoryTimelineRepo"),
    (ports.TaskRepository, "tasks:TaskRepo", "MemoryTaskRepo"),
    (ports.StatsRepository, "stats:StatsRepo", "MemoryStatsRepo"),
    (ports.SwitchRepository, "switches:SwitchRepo", "MemorySwitchRepo"),
    (ports.RateRepository, "rates:RateRepo", "MemoryRateRepo"),
    (ports.BookRepository, "guard:BookRepo", "MemoryBookRepo"),
    (ports.HoldRepository, "guard:HoldRepo", "MemoryHoldRepo"),
    (ports.HeldQuoteRepository, "guard:HeldQuoteRepo", "MemoryHeldQuoteRepo"),
    (ports.PrivacyRepository, "privacy:PrivacyRepo", "MemoryPrivacyRepo"),
    (ports.TemplateRepository, "templates:TemplateRepo", "MemoryTemplateRepo"),
    (ports.DeliverabilityRepository, "deliverability:DeliverabilityRepo", "MemoryDeliverabilityRepo"),
]


def _methods(cls) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(fn) for name, fn in vars(cls).items()
            if callable(fn) and not name.startswith("_")}


def _shape(sig: inspect.Signature) -> list[tuple]:
    return [(p.name, p.kind, p.default) for p in sig.parameters.values() if p.name != "self"]


@pytest.mark.parametrize("port, dynamo, memory", PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_both_stores_implement_the_protocol(port, dynamo, memory):
    import importlib

    from chalicelib.store import memory as memory_store

    module, name = dynamo.split(":")
    implementations = [getattr(importlib.import_module(f"chalicelib.store.{module}"), name),
                       getattr(memory_store, memory)]
    wanted = _methods(port)
    assert wanted, port
    for cls in implementations:
        for method, sig in wanted.items():
            fn = getattr(cls, method, None)
            assert fn is not None, f"{cls.__name__} has no {method}"
            got = inspect.signature(fn)
            if isinstance(inspect.getattr_static(cls, method), staticmethod):
                got = got.replace(parameters=[inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
                                              *got.parameters.values()])
            assert _shape(got) == _shape(sig), f"{cls.__name__}.{method}{got} is not {port.__name__}.{method}{sig}"


PURE = {"", "keys", "plan", "split", "history", "writeset", "errors", "ports"}  # the store's pure modules


def test_the_memory_store_names_nothing_private_of_the_dynamodb_store():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "chalicelib" / "store" / "memory"
    for path in folder.glob("*.py"):
        text = path.read_text()
        assert "models" not in text and "pynamodb" not in text.lower(), path.name
        for line in (raw.strip() for raw in text.splitlines()):
            if line.startswith("from ..") and " import " in line and not line.startswith("from ..."):
                module, names = line[len("from .."):].split(" import ", 1)
                assert module in PURE, (path.name, line)  # what loads no PynamoDB
                assert not any(n.strip().startswith("_") for n in names.split(",")), (path.name, line)
