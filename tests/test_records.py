"""Records made and copied quickly are the records their dataclass makes: equal, frozen, with every default."""

from __future__ import annotations

import dataclasses

import pytest

from cnncalc.graph import Node
from cnncalc.records import copier, maker
from cnncalc.report import ReceptiveField, Row

ROW = {
    "index": 3,
    "name": "conv",
    "kind": "conv",
    "node_id": "conv",
    "inputs": ("input",),
    "output_shape": (8, 6, 6),
    "activation_size": 288,
    "params": 224,
    "trainable_params": 224,
    "buffers": 0,
    "macs": 7776,
    "flops": 15552,
}


def test_a_row_made_by_keyword_is_the_dataclass_row_with_its_defaults():
    make = maker(Row)
    assert make(**ROW) == Row(**ROW) and type(make(**ROW)) is Row
    assert make(**ROW, source="conv(8, f=3)", view=True) == Row(**ROW, source="conv(8, f=3)", view=True)
    with pytest.raises(TypeError):
        make(**{k: v for k, v in ROW.items() if k != "macs"})  # a field without a default is needed


def test_a_node_made_by_position_is_the_dataclass_node():
    make = maker(Node, ("id", "kind", "label", "inputs"))
    assert make("fc_2", "dense", "fc", ("fc",)) == Node("fc_2", "dense", "fc", inputs=("fc",))


def test_a_copy_changes_only_the_fields_named():
    original = Row(**ROW, source="conv(8, f=3)", receptive_field=ReceptiveField((3, 3), (1, 1), (1, 1)))
    copy = copier(Row, "row, index, name", {"index": "index", "name": "name"})
    moved = copy(original, 7, "conv2")
    assert moved == dataclasses.replace(original, index=7, name="conv2")
    assert original.index == 3 and original.name == "conv"  # the original is left as it was


def test_made_records_are_frozen():
    row = maker(Row)(**ROW)
    node = copier(Node, "node, id", {"id": "id"})(Node("a", "relu", "relu"), "b")
    assert type(row) is Row and type(node) is Node
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.macs = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.id = "c"  # type: ignore[misc]
    assert node == Node("b", "relu", "relu") and hash(node) == hash(Node("b", "relu", "relu"))


def test_a_record_with_slots_is_made_and_copied_slot_by_slot():
    assert "__slots__" in vars(ReceptiveField)
    field = maker(ReceptiveField, ("size", "jump", "start"))((3, 3), (1, 1), (1, 1))
    assert field == ReceptiveField((3, 3), (1, 1), (1, 1))
    wider = copier(ReceptiveField, "field, size", {"size": "size"})(field, (5, 5))
    assert wider == ReceptiveField((5, 5), (1, 1), (1, 1)) and field.size == (3, 3)
