"""The organisation: departments, people, internal services, escalation thresholds."""

from __future__ import annotations

import msgspec


class Department(msgspec.Struct, frozen=True, kw_only=True):
    """An org unit: a slug id, a name in any script, an optional lead (a person id)."""

    id: str
    name: str
    lead: str = ""


class Person(msgspec.Struct, frozen=True, kw_only=True):
    """Someone who can own action items."""

    id: str
    name: str
    department: str = ""


class Service(msgspec.Struct, frozen=True, kw_only=True):
    """An internal service a provider department delivers to consumer departments."""

    id: str
    name: str
    provider: str
    consumers: tuple[str, ...] = ()
    target_days: int | None = None


class Thresholds(msgspec.Struct, frozen=True, kw_only=True):
    """When an action item counts as escalated."""

    escalate_after_carries: int = 3
    escalate_after_overdue_days: int = 14


class Org(msgspec.Struct, frozen=True, kw_only=True):
    """Everything org.yaml says; an empty Org when the workspace has none."""

    organization: str = ""
    store: str = ""
    """A postgresql:// URL of a shared register; empty keeps it in the workspace's data/."""
    departments: tuple[Department, ...] = ()
    people: tuple[Person, ...] = ()
    services: tuple[Service, ...] = ()
    thresholds: Thresholds = Thresholds()
    present: bool = False
    """True when this came from an org.yaml (then it is the source of truth for ids)."""

    def department(self, dept_id: str) -> Department | None:
        """The department with this id, or None."""
        return next((d for d in self.departments if d.id == dept_id), None)

    def person(self, person_id: str) -> Person | None:
        """The person with this id, or None."""
        return next((p for p in self.people if p.id == person_id), None)

    def service(self, service_id: str) -> Service | None:
        """The service with this id, or None."""
        return next((s for s in self.services if s.id == service_id), None)

    def department_name(self, dept_id: str) -> str:
        """The display name of a department, or the id itself when unknown."""
        dept = self.department(dept_id)
        return dept.name if dept else dept_id

    def person_name(self, person_id: str) -> str:
        """The display name of a person, or the id itself when unknown."""
        person = self.person(person_id)
        return person.name if person else person_id
