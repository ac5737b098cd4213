"""Domain models: validation says what was expected, hashes are stable ids."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from synthloop.tools.models import GenerationSpec, LayoutBox, ObjectClass, Policy
from tests.support.factories import hard_hat_policy, make_spec


def test_spec_id_is_content_hash_ignoring_bookkeeping():
    a = make_spec(seed=3)
    b = make_spec(seed=3, iteration=2, origin="targeted lighting=night")
    c = make_spec(seed=4)
    assert a.id == b.id  # same image, asked for twice -> same work item
    assert a.id != c.id
    assert GenerationSpec.model_validate_json(a.model_dump_json()).id == a.id


def test_spec_id_cannot_be_forged():
    spec = make_spec(seed=3)
    forged = GenerationSpec.model_validate({**spec.model_dump(), "id": "bogus"})
    assert forged.id == spec.id


@pytest.mark.parametrize("name", ["Hard Hat", "../etc", "hard-hat", "1hat", "hard__hat", ""])
def test_class_names_must_be_snake_case(name):
    with pytest.raises(ValidationError, match="snake_case|at least"):
        ObjectClass(name=name)


def test_layout_box_must_be_normalised_and_ordered():
    with pytest.raises(ValidationError, match="0 <= x0 < x1 <= 1"):
        LayoutBox(cls="person", box=(0.5, 0.1, 0.2, 0.9))
    with pytest.raises(ValidationError):
        LayoutBox(cls="person", box=(0.1, 0.1, 1.2, 0.9))


def test_policy_rejects_duplicate_classes_and_unknown_keys():
    p = hard_hat_policy().model_dump()
    p["classes"].append(p["classes"][0])
    with pytest.raises(ValidationError, match="duplicate class"):
        Policy.model_validate(p)
    q = hard_hat_policy().model_dump()
    q["colour"] = "red"
    with pytest.raises(ValidationError, match="Extra inputs"):
        Policy.model_validate(q)


def test_policy_hash_ignores_version_numbers():
    p = hard_hat_policy()
    assert p.content_hash() == p.model_copy(update={"version": 7, "parent_version": 6}).content_hash()
    assert p.content_hash() != p.model_copy(update={"title": "other"}).content_hash()
