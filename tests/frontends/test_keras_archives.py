"""A .keras file is read for its config.json alone, streamed within a size limit; a bad archive is said in words.

The archives here are written field by field (support/zips.py), so each test gives cnncalc exactly the damage it
names: a wrong checksum, an encrypted or unknown-method member, a size that lies, a bomb.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest
from support.hostile import python_words, watching_opens
from support.zips import DEFLATED, Member, archive, deflated_zeros, member

import cnncalc
from cnncalc import limits
from cnncalc.errors import CnnCalcError, LimitError, SpecError

# A two-layer model's config as Keras 3 writes it (Input(8) -> Dense(2)): params (8 + 1)·2 = 18
DOC = {
    "class_name": "Sequential",
    "config": {
        "name": "tiny",
        "layers": [
            {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 8]}},
            {"class_name": "Dense", "config": {"name": "d", "units": 2, "use_bias": True}},
        ],
    },
}
CONFIG = json.dumps(DOC).encode()
GOOD = member("config.json", CONFIG, DEFLATED)


def write(tmp_path, data: bytes, name: str = "model.keras"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_written_archive_is_read_as_keras_writes_it(tmp_path):
    path = write(tmp_path, archive([member("metadata.json", b"{}"), GOOD, member("model.weights.h5", b"\0" * 64)]))
    assert cnncalc.analyze(str(path)).totals.params == (8 + 1) * 2


BAD = {
    "encrypted": ([replace(GOOD, flags=0x1)], "config.json is encrypted"),
    "unknown method": ([replace(GOOD, method=99)], "compressed with method 99, which cnncalc cannot unpack"),
    "bad checksum": ([replace(GOOD, crc=GOOD.crc ^ 1)], "does not match its checksum"),
    "size that lies": ([replace(GOOD, size=10)], "does not match its checksum"),
    "damaged deflate": ([replace(GOOD, payload=b"\xff" * 40)], "compressed data is damaged"),
    "no config": ([member("metadata.json", b"{}")], "holds no config.json"),
    "config twice": ([GOOD, GOOD], "holds config.json 2 times"),
    "names differ": ([replace(GOOD, local_name=b"other.json")], "list of members does not match its contents"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_damaged_archive_is_said_in_words(tmp_path, case):
    members, says = BAD[case]
    path = write(tmp_path, archive(members))
    with pytest.raises(SpecError, match=says) as e:
        cnncalc.analyze(str(path))
    assert str(path) in str(e.value) and not python_words(str(e.value))


@pytest.mark.parametrize("cut", [10, 30, 60, 200])
def test_a_truncated_archive_is_said_in_words(tmp_path, cut):
    path = write(tmp_path, archive([GOOD])[:cut])
    with pytest.raises(SpecError, match="not a zip archive|cut short|damaged") as e:
        cnncalc.analyze(str(path))
    assert not python_words(str(e.value))


def test_a_zip_bomb_is_refused_by_its_size_before_it_is_unpacked(tmp_path):
    bomb = deflated_zeros(200 << 20)  # 200 MiB of zeros in about 200 KB
    declared = Member(b"config.json", bomb, DEFLATED, 0, len(bomb), 200 << 20)
    path = write(tmp_path, archive([declared]))
    with pytest.raises(LimitError, match=r"unpacks to 209,715,200 bytes, over the limit of 67,108,864") as e:
        cnncalc.analyze(str(path))
    assert e.value.limit == "decompressed_bytes"
    lying = replace(declared, size=1000)  # its header says 1,000 bytes: unpacking stops there, and the CRC fails
    path = write(tmp_path, archive([lying]))
    with pytest.raises(SpecError, match="does not match its checksum"):
        cnncalc.analyze(str(path))


def test_the_unpacked_size_is_also_counted_as_it_streams(tmp_path):
    path = write(tmp_path, archive([GOOD]))
    with limits.raised(decompressed_bytes=len(CONFIG) - 1), pytest.raises(LimitError, match="decompressed_bytes"):
        cnncalc.analyze(str(path))
    with limits.raised(decompressed_bytes=len(CONFIG)):
        assert cnncalc.analyze(str(path)).totals.params == 18


def test_a_huge_list_of_members_is_refused_before_it_is_read(tmp_path):
    many = [member(f"junk/{i:06}.bin", b"") for i in range(30_000)] + [GOOD]
    path = write(tmp_path, archive(many))
    with pytest.raises(LimitError, match="list of members is [0-9,]+ bytes, over the limit of 1,048,576"):
        cnncalc.analyze(str(path))


def test_no_file_but_the_one_named_is_opened(tmp_path):
    """The folder holds other members' names as files (weights, a .env): reading the archive opens none of them."""
    for name in ("model.weights.h5", "metadata.json", ".env", "config.json"):
        (tmp_path / name).write_text("do not read")
    members = [member("metadata.json", b"{}"), GOOD, member("model.weights.h5", b"\0" * 64)]
    path = write(tmp_path, archive(members))
    with watching_opens(tmp_path, named=[path]) as stray:
        assert cnncalc.analyze(str(path)).totals.params == 18
    assert not stray
    for i, (members, _) in enumerate(BAD.values()):
        bad = write(tmp_path, archive(members), f"bad{i}.keras")
        with watching_opens(tmp_path, named=[bad]) as stray, pytest.raises(CnnCalcError):
            cnncalc.analyze(str(bad))
        assert not stray


def test_a_real_keras_file_is_read(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)])
    path = tmp_path / "real.keras"
    model.save(path)
    with watching_opens(tmp_path, named=[path]) as stray:
        assert cnncalc.analyze(str(path)).totals.params == model.count_params()
    assert not stray
