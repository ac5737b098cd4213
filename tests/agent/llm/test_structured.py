"""Schemas we send and replies we parse: JSON extraction from prose, sanitising, errors."""

from __future__ import annotations

import pytest

from synthloop.agent.llm.structured import (
    ReplyInvalid,
    extract_json,
    parse_reply,
    response_format,
    sanitize_schema,
)
from tests.support.reply_schemas import Realistic


@pytest.mark.parametrize("text, expected", [
    ('{"a": 1}', {"a": 1}),
    ('  [1, 2] ', [1, 2]),
    ('```json\n{"a": 1}\n```', {"a": 1}),
    ('Here you go:\n```\n{"a": {"b": [1]}}\n```\nDone.', {"a": {"b": [1]}}),
    ('The answer is {"a": "x}y"} as requested {"b": 2}', {"a": "x}y"}),
    ('broken {"a": } then {"c": 3}', {"c": 3}),
])
def test_extract_json(text, expected):
    assert extract_json(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "no json here", "{unquoted: 1}", "[1, 2"])
def test_extract_json_failures(text):
    with pytest.raises(ReplyInvalid):
        extract_json(text)


def test_parse_reply_errors_name_the_field():
    with pytest.raises(ReplyInvalid) as exc:
        parse_reply(Realistic, '{"items": [{"title": "' + "x" * 30 + '", "kind": "z"}], "n": 0}')
    msg = str(exc.value)
    assert "items.0.title: String should have at most 20 characters" in msg
    assert "items.0.kind: Input should be 'a' or 'b'" in msg
    assert "n: Input should be greater than or equal to 1" in msg


def test_sanitize_keeps_constraints_and_field_names():
    schema = Realistic.model_json_schema()
    clean = sanitize_schema(schema)
    item = clean["$defs"]["Item"]
    assert "title" not in item and "title" in item["properties"]  # keyword gone, field kept
    assert item["properties"]["title"]["maxLength"] == 20
    assert item["properties"]["kind"]["enum"] == ["a", "b"]
    assert item["properties"]["code"]["pattern"] == r"^[a-z]\d+$"   # translatable: kept
    assert "pattern" not in item["properties"]["slug"]              # named group: dropped
    assert clean["properties"]["counts"]["additionalProperties"] == {"type": "integer"}
    assert clean["properties"]["items"]["maxItems"] == 5
    assert "title" in schema["$defs"]["Item"]  # the input is not modified


def test_response_format_shape():
    fmt = response_format(Realistic)
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Realistic"
    assert "$defs" in fmt["json_schema"]["schema"]


def test_llama_cpp_converts_realistic_schemas():
    xllamacpp = pytest.importorskip("xllamacpp")
    from synthloop.tools.models import GenerationSpec, MisclassificationReport, Policy

    for model in (Realistic, Policy, MisclassificationReport, GenerationSpec):
        grammar = xllamacpp.json_schema_to_grammar(response_format(model)["json_schema"]["schema"])
        assert grammar.strip(), model.__name__
