"""Typed names to ids: one rule for the capture and request dialogs."""

from __future__ import annotations

import pytest

from icm_tui.domain.names import resolve_department, resolve_person, resolve_service
from icm_tui.domain.org import Department, Org, Person, Service
from icm_tui.errors import BadInput

ORG = Org(
    present=True,
    departments=(Department(id="it", name="IT"), Department(id="sh-sales", name="销售部")),
    people=(Person(id="li-lei", name="Li Lei"), Person(id="li-na", name="Li Na"), Person(id="zhang-wei", name="Zhang Wei")),
    services=(Service(id="laptops", name="Laptop provisioning", provider="it"),),
)


def test_ids_names_and_unique_prefixes():
    assert resolve_person(ORG, "Zhang Wei") == "zhang-wei" == resolve_person(ORG, " zha ")
    assert resolve_department(ORG, "销售部") == "sh-sales"
    assert resolve_service(ORG, "laptop") == "laptops" and resolve_service(ORG, "") == ""
    assert resolve_department(ORG, "  ", required=False) == ""


def test_ambiguous_unknown_and_missing():
    with pytest.raises(BadInput, match="'li' could be li-lei, li-na: type more"):
        resolve_person(ORG, "li")
    with pytest.raises(BadInput, match="no department 'hr'"):
        resolve_department(ORG, "hr")
    with pytest.raises(BadInput, match="department is required"):
        resolve_department(ORG, "")
    assert resolve_person(Org(), "Guest") == "Guest"
