"""The compiled response builders: nesting, cycles, paths, and what they own.

The property tests in ``test_model_properties`` compare the compiled builders
with the generic walker on the definition's own models; these cover shapes
the definition does not have: a model that contains itself, a chain deeper
than the builders inline, and the input a caller keeps.
"""

from __future__ import annotations

import collections
import copy
import subprocess
import sys
import types
import typing

import pytest

from icasdk import schemas
from icasdk.model.project_data_update_batch_item import (
    ProjectDataUpdateBatchItem as Item,
)
from icasdk.model.project_data_update_batch_item_paged_list import (
    ProjectDataUpdateBatchItemPagedList as Page,
)
from icasdk.schemas import from_response


class Node(schemas.Model):
    """A recursive model: a tree of named nodes."""

    __slots__ = ()
    name: str = schemas.field("name", schemas.String(), required=True)
    children: typing.Tuple["Node", ...] = schemas.field(
        "children", schemas.Array(schemas.Ref(__name__, "Node"))
    )
    parent: "Node" = schemas.field("parent", schemas.Ref(__name__, "Node"))


class Leaf(schemas.Model):
    __slots__ = ()
    __additional__ = None  # additionalProperties: false
    size: int = schemas.field("size", schemas.Integer(format="int32"), required=True)


class Level3(schemas.Model):
    __slots__ = ()
    leaf: Leaf = schemas.field("leaf", schemas.Ref(__name__, "Leaf"), required=True)
    leaves: typing.Tuple[Leaf, ...] = schemas.field(
        "leaves", schemas.Array(schemas.Ref(__name__, "Leaf"))
    )


class Level2(schemas.Model):
    __slots__ = ()
    down: Level3 = schemas.field("down", schemas.Ref(__name__, "Level3"), required=True)


class Level1(schemas.Model):
    __slots__ = ()
    down: Level2 = schemas.field("down", schemas.Ref(__name__, "Level2"), required=True)


class Top(schemas.Model):
    __slots__ = ()
    down: Level1 = schemas.field("down", schemas.Ref(__name__, "Level1"), required=True)
    items: typing.Tuple[Level1, ...] = schemas.field(
        "items", schemas.Array(schemas.Ref(__name__, "Level1"))
    )


def paths(errors) -> typing.List[tuple]:
    return sorted(tuple(error.path) for error in errors)


def chain(size: object, extra: object = None) -> dict:
    """A Level1 whose leaf, four models down, has ``size``."""
    leaf = {"size": size}
    if extra is not None:
        leaf["note"] = extra
    return {"down": {"down": {"leaf": leaf, "leaves": [{"size": 1}, {"size": size}]}}}


def test_a_model_that_contains_itself_builds_at_any_depth():
    tree: dict = {"name": "leaf"}
    for depth in range(8):
        tree = {"name": f"n{depth}", "children": [tree, {"name": "x"}]}
    tree["parent"] = {"name": "root"}

    built, errors = from_response(Node, tree)

    assert errors == []
    node = built
    for depth in reversed(range(8)):
        assert isinstance(node, Node) and node.name == f"n{depth}"
        assert isinstance(node["children"], tuple)
        node = node["children"][0]
    assert node.name == "leaf"
    assert built.parent.name == "root"


def test_a_mismatch_deep_in_a_recursive_model_has_its_whole_path():
    tree: dict = {"name": 7}
    for _ in range(5):
        tree = {"name": "n", "children": [{"name": "x"}, tree]}

    built, errors = from_response(Node, tree)

    assert paths(errors) == [("children", 1) * 5 + ("name",)]
    node = built
    for _ in range(5):
        node = node["children"][1]
    assert node["name"] == 7  # kept as it came


def test_a_missing_required_field_in_an_array_item_names_the_item():
    _, errors = from_response(Node, {"name": "n", "children": [{}, {"name": "y"}, {}]})

    assert paths(errors) == [("children", 0, "name"), ("children", 2, "name")]


@pytest.mark.parametrize("bad", ["big", 2**40, None, 1.5])
def test_mismatches_below_the_inlined_depth_have_their_whole_path(bad):
    value = {"down": chain(bad), "items": [chain(1), chain(bad)]}

    built, errors = from_response(Top, value)

    assert paths(errors) == sorted(
        [
            ("down", "down", "down", "leaf", "size"),
            ("down", "down", "down", "leaves", 1, "size"),
            ("items", 1, "down", "down", "leaf", "size"),
            ("items", 1, "down", "down", "leaves", 1, "size"),
        ]
    )
    assert built["items"][1]["down"]["down"]["leaf"]["size"] == bad
    assert isinstance(built["items"][1]["down"]["down"]["leaf"], Leaf)


def test_extra_properties_the_server_adds_are_kept_at_every_depth():
    value = {"down": chain(3, extra={"by": ["me"]}), "since": [1, {"a": [2]}]}

    built, errors = from_response(Top, value)

    assert errors == []
    # Open models freeze what they keep; a closed one keeps it as it came.
    assert built["since"] == (1, {"a": (2,)})
    assert isinstance(built["since"], tuple)
    assert built["down"]["down"]["down"]["leaf"]["note"] == {"by": ["me"]}


def test_the_value_given_is_left_as_it_was():
    value = {"down": chain(3, extra={"by": ["me"]}), "items": [chain("bad")]}
    before = copy.deepcopy(value)

    first, _ = from_response(Top, value)
    second, _ = from_response(Top, value)

    assert value == before
    assert first == second


def test_a_consumed_value_builds_the_same_model():
    value = {"down": chain(3, extra={"by": ["me"]}), "items": [chain("bad")]}
    kept, kept_errors = from_response(Top, copy.deepcopy(value))

    consumed, consumed_errors = from_response(Top, value, consume=True)

    assert consumed == kept
    assert paths(consumed_errors) == paths(kept_errors)
    assert isinstance(consumed["items"][0]["down"]["down"], Level3)


def _page_item(data_id: object = "fil.1") -> dict:
    return {
        "id": "123e4567-e89b-12d3-a456-426614174000",
        "request": {"dataId": data_id, "userTags": {"addTags": ["a"]}},
        "processing": {"status": "UPDATED"},
    }


@pytest.mark.parametrize(
    "wrap",
    [
        lambda item: {"items": (item,)},
        lambda item: collections.OrderedDict(items=[item]),
        lambda item: schemas.FrozenDict({"items": [item]}),
        lambda item: {"items": [types.MappingProxyType(item)]},
    ],
    ids=["in a tuple", "in an OrderedDict", "in a frozendict", "behind a proxy"],
)
def test_a_dict_reached_through_other_containers_is_left_as_it_was(wrap):
    """Builders never reach a dict of the caller's, however it is held."""
    item = _page_item()
    before = copy.deepcopy(item)

    built, errors = from_response(Page, wrap(item))

    assert item == before
    assert errors == [] and isinstance(built["items"][0], Item)


def test_the_same_value_built_twice_reports_the_same_mismatches():
    value = {"items": (_page_item(data_id=5),)}

    first = paths(from_response(Page, value)[1])
    second = paths(from_response(Page, value)[1])

    assert first == second == [("items", 0, "request", "dataId")]


def test_the_builders_module_can_be_imported_first():
    """compiled and schemas import each other; either may come first."""
    for first in ("icasdk.compiled", "icasdk.schemas"):
        done = subprocess.run(
            [sys.executable, "-c", f"import {first}"], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
