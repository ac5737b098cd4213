"""Safe YAML that refuses duplicate keys.

PyYAML keeps the last of two equal keys in a mapping without a word, so a policy with two
`title:` lines (or two `night` axes under one name) silently loses the first. `safe_load`
here raises a yaml ConstructorError naming the key and both lines instead; callers already
turn YAMLErrors into one-line messages with the position.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError

_MERGE = "tag:yaml.org,2002:merge"


class UniqueKeyLoader(yaml.SafeLoader):
    """yaml.SafeLoader, except that a mapping may not repeat a key (merge keys `<<` may
    still be overridden, as YAML intends)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    line = first.get(key)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                if line is not None:
                    raise ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"duplicate key {key!r} (first on line {line + 1})", key_node.start_mark)
                first[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def safe_load(text: str) -> Any:
    """yaml.safe_load, refusing duplicate keys."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
