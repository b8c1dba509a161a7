"""Demo data machinery: each app may have a `demo.py` with a `seed() -> dict[str, int]`.

`manage.py seed_demo` runs them in INSTALLED_APPS order, so an app's demo data can build on
the apps below it. Seeding is idempotent: a second run writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model


class Counter:
    """Counts what a seed run created and changed, for the command's summary."""

    def __init__(self) -> None:
        self.created = 0
        self.updated = 0


def upsert[M: Model](model: type[M], counter: Counter, lookup: dict[str, Any], **values: Any) -> M:
    """Get the row matching `lookup`, create it with `values`, or update only changed fields."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        counter.created += 1
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.full_clean()
        obj.save()
        counter.updated += 1
    return obj
