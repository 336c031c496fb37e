"""The notation's parser: its tables come from lark's cache, which always matches grammar.lark."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from lark import Lark

import cnncalc
from cnncalc.notation.parser import _parser, build_parser, cache_file, grammar_text, parse_statements

TEXTS = [
    "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)",
    "x = input(32, 32, 3)\ny = x -> conv(3, f=3, p=1) -> relu\nadd(x, y) -> gap -> fc(10)",
    "def basic(c, s=1) { y = conv(c, f=3, s=s, p=1) -> bn; add(y, in) }\ninput(8,8,4) -> basic(4)",
    "input(16,16,3) -> [conv(8, f=3, p=1) -> relu] * 3 -> fc(2*5)",
    *(p.read_text(encoding="utf-8") for p in files("cnncalc.zoo").iterdir() if p.name.endswith(".cnn")),
]


def test_the_parser_tables_are_cached_in_the_users_own_folder(tmp_path, monkeypatch):
    # building the LALR tables costs more than the rest of `cnncalc summary` on a small network;
    # the cache is a pickle, so it lives in the user's cache folder, not the shared temporary one
    assert _parser().options.cache == cache_file()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = cache_file()
    assert isinstance(path, str) and path.startswith(str(tmp_path / "cnncalc"))
    build_parser()
    assert Path(path).is_file()


def test_without_a_cache_folder_the_tables_are_built_each_time(tmp_path, monkeypatch):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert cache_file() is False
    assert build_parser().parse("input(4) -> fc(2)") == build_parser(cache=False).parse("input(4) -> fc(2)")


def test_a_parser_loaded_from_the_cache_reads_every_text_as_a_fresh_one(tmp_path, monkeypatch):
    fresh = build_parser(cache=False)
    path = str(tmp_path / "notation.lark-cache")
    build_parser(cache=path)  # writes the cache

    def rebuilt(self):  # noqa: ANN001, ANN202
        raise AssertionError("the tables were rebuilt instead of loaded from the cache")

    monkeypatch.setattr(Lark, "_build_parser", rebuilt)
    cached = build_parser(cache=path)
    for text in TEXTS:
        assert cached.parse(text) == fresh.parse(text)


def test_an_edited_grammar_is_never_served_from_an_older_cache(tmp_path):
    path = str(tmp_path / "notation.lark-cache")
    build_parser(cache=path)
    edited = grammar_text().replace('_ARROW: "->" | "→"', '_ARROW: "->" | "→" | "=>"')
    assert edited != grammar_text()
    parser = build_parser(edited, cache=path)  # same cache file, other grammar: lark's key differs
    assert parser.parse("input(4) => fc(2)") == build_parser(cache=False).parse("input(4) -> fc(2)")


def test_a_byte_order_mark_before_the_notation_is_ignored():
    # Notepad and some spreadsheet exports start a UTF-8 file with U+FEFF
    assert parse_statements("\ufeffinput(4) -> fc(2)") == parse_statements("input(4) -> fc(2)")
    assert cnncalc.analyze("\ufeffinput(4) -> fc(2)").totals.params == 4 * 2 + 2  # (4 + 1)·2


def test_a_syntax_error_after_a_byte_order_mark_points_at_the_visible_column():
    with pytest.raises(cnncalc.NotationSyntaxError) as e:
        parse_statements("\ufeffinput(4) -> fc(2")
    assert (e.value.line, e.value.column) == (1, 17)  # just after the 16 characters of "input(4) -> fc(2"
    assert e.value.context == "  input(4) -> fc(2\n  " + " " * 16 + "^"
