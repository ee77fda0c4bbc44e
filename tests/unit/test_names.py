"""Typed names to ids: one rule for the capture and request dialogs, the requests screen and the CLI."""

from __future__ import annotations

import pytest

from icm_tui.domain.names import (
    Ambiguous,
    Choice,
    candidates,
    listing,
    person_choices,
    resolve_department,
    resolve_person,
    resolve_service,
)
from icm_tui.domain.org import Department, Org, Person, Service
from icm_tui.errors import BadInput

ORG = Org(
    present=True,
    departments=(Department(id="it", name="IT"), Department(id="sales", name="Sales"), Department(id="sh-sales", name="销售部")),
    people=(
        Person(id="li-lei", name="Li Lei", department="sales"),
        Person(id="li-na", name="Li Na", department="it"),
        Person(id="liu-yang", name="Liu Yang", department="it"),
        Person(id="zhang-wei", name="Zhang Wei", department="it"),
    ),
    services=(Service(id="laptops", name="Laptop provisioning", provider="it"),),
)


def test_ids_names_and_unique_prefixes():
    assert resolve_person(ORG, "Zhang Wei") == "zhang-wei" == resolve_person(ORG, " zha ") == resolve_person(ORG, "ZHANG-WEI")
    assert resolve_person(ORG, "li l") == "li-lei" and resolve_person(ORG, "li-n") == "li-na"
    assert resolve_department(ORG, "销售部") == "sh-sales" and resolve_department(ORG, "sal") == "sales"
    assert resolve_service(ORG, "laptop") == "laptops" and resolve_service(ORG, "") == ""
    assert resolve_department(ORG, "  ", required=False) == ""


def test_a_prefix_of_several_is_refused_naming_them_all():
    with pytest.raises(Ambiguous) as refused:
        resolve_person(ORG, "li", what="owner")
    assert str(refused.value) == (
        "owner 'li' could be Li Lei (li-lei, Sales), Li Na (li-na, IT) or Liu Yang (liu-yang, IT); "
        "type more of the name, or the id"
    )
    assert [c.id for c in refused.value.candidates] == ["li-lei", "li-na", "liu-yang"]
    assert isinstance(refused.value, BadInput)  # exit 2 in the CLI


def test_two_people_with_the_same_name_are_never_guessed_between():
    org = Org(present=True, people=(Person(id="li-na", name="Li Na"), Person(id="li-na-2", name="Li Na")))
    with pytest.raises(Ambiguous, match=r"'Li Na' could be Li Na \(li-na\) or Li Na \(li-na-2\)"):
        resolve_person(org, "Li Na")
    assert resolve_person(org, "li-na") == "li-na"  # an exact id is always one person


def test_without_prefixes_only_an_id_or_a_name_resolves():
    """The CLI's rule: the same refusal for several, a suggestion (not a guess) for one."""
    assert resolve_person(ORG, "Li Lei", prefixes=False) == "li-lei"
    with pytest.raises(Ambiguous, match="could be Li Lei .* or Liu Yang .*; give the id"):
        resolve_person(ORG, "li", what="owner", prefixes=False)
    with pytest.raises(BadInput, match=r"unknown owner 'zhang-we' \(did you mean 'zhang-wei'\?\)"):
        resolve_person(ORG, "zhang-we", what="owner", prefixes=False)


def test_unknown_and_missing():
    with pytest.raises(BadInput, match=r"unknown department 'hr'$"):
        resolve_department(ORG, "hr")
    with pytest.raises(BadInput, match=r"unknown person 'Zhang Wie' \(did you mean 'zhang-wei'\?\)"):
        resolve_person(ORG, "Zhang Wie")
    with pytest.raises(BadInput, match="department is required"):
        resolve_department(ORG, "")
    assert resolve_person(Org(), "Guest") == "Guest"


def test_candidates_and_listing():
    choices = person_choices(ORG)
    assert [c.id for c in candidates("LI", choices)] == ["li-lei", "li-na", "liu-yang"]
    assert [c.id for c in candidates("li-na", choices)] == ["li-na"]
    assert candidates(" ", choices) == []
    many = [Choice(f"p{i}", f"P {i}") for i in range(8)]
    assert listing(many) == "P 0 (p0), P 1 (p1), P 2 (p2), P 3 (p3), P 4 (p4) and 3 more"
    assert Choice("it", "IT").label() == "IT"
