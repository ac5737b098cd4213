"""From a pydantic model to the schema we send, and from a model's reply back to a value.

The schema sent for constrained decoding is pydantic's JSON schema, lightly sanitised (see
`sanitize_schema`); the reply is always validated with the full pydantic model, so nothing
the sanitiser drops goes unchecked.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

# Measured against the embedded llama.cpp server (tests/agent/llm/test_embedded.py sends the
# schemas of realistic models): it accepts every keyword pydantic emits, enforcing what it
# can and ignoring the rest (float bounds, multipleOf, uniqueItems, formats). Two things are
# worth removing: annotation-only keywords (they only cost tokens with OpenAI), and regex
# patterns its converter cannot translate (lookarounds, named groups, backreferences,
# unanchored), which print "JSON schema conversion was incomplete" on stderr every request.
# Dropping keywords only loosens the grammar: pydantic still enforces all of them.
_DROP = {"title", "examples", "$comment", "readOnly", "writeOnly", "deprecated"}
_UNSUPPORTED_PATTERN = re.compile(r"\\(?:[1-9]|k<)|\(\?")

T = TypeVar("T", bound=BaseModel)
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


class ReplyInvalid(ValueError):
    """A reply that is not JSON, or not a valid instance of the schema; the message is
    what we quote back to the model on the retry."""


def _pattern_ok(pattern: object) -> bool:
    return (isinstance(pattern, str) and pattern.startswith("^") and pattern.endswith("$")
            and not _UNSUPPORTED_PATTERN.search(pattern))


def sanitize_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a JSON schema without annotation-only keywords and without regex patterns
    llama.cpp cannot translate."""
    return _clean(copy.deepcopy(schema), in_properties=False)


def _clean(node: Any, *, in_properties: bool) -> Any:
    if isinstance(node, list):
        return [_clean(v, in_properties=False) for v in node]
    if not isinstance(node, dict):
        return node
    if in_properties:  # keys are field names here, never keywords
        return {k: _clean(v, in_properties=False) for k, v in node.items()}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or (key == "pattern" and not _pattern_ok(value)):
            continue
        nested = key in ("properties", "patternProperties", "$defs", "definitions")
        out[key] = _clean(value, in_properties=nested)
    return out


def response_format(schema: type[BaseModel]) -> dict[str, Any]:
    """The `response_format` for a chat request constrained to `schema`'s JSON schema."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": re.sub(r"[^A-Za-z0-9_-]", "_", schema.__name__)[:64],
            "schema": sanitize_schema(schema.model_json_schema()),
        },
    }


def extract_json(text: str) -> Any:
    """The JSON value in a reply: the whole text, a fenced ```json block, or the first
    `{...}` object embedded in prose. Raises ReplyInvalid when there is none."""
    stripped = (text or "").strip()
    if not stripped:
        raise ReplyInvalid("the reply was empty; answer with one JSON object")
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        pass
    for block in _FENCE.findall(stripped):
        try:
            return json.loads(block)
        except json.JSONDecodeError:
            continue
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", stripped):
        try:
            value, _ = decoder.raw_decode(stripped, m.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise ReplyInvalid("the reply is not JSON and holds no JSON object; answer with one "
                       "JSON object only, no prose")


def format_errors(err: PydanticValidationError, limit: int = 8) -> str:
    """Pydantic's errors as short lines `path: message`, for people and for the model."""
    lines = []
    for e in err.errors(include_url=False)[:limit]:
        where = ".".join(str(p) for p in e["loc"]) or "(root)"
        lines.append(f"{where}: {e['msg']}")
    more = err.error_count() - limit
    if more > 0:
        lines.append(f"... and {more} more")
    return "; ".join(lines)


def parse_reply(schema: type[T], text: str) -> T:
    """Validate a reply against `schema`; ReplyInvalid says what was wrong."""
    value = extract_json(text)
    try:
        return schema.model_validate(value)
    except PydanticValidationError as e:
        raise ReplyInvalid(format_errors(e)) from e
