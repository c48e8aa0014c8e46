"""IntervalSet: normalisation, union, intersection, difference, membership."""

from __future__ import annotations

import pytest

from dtnetpol.engine.intervals import IntervalSet

S = IntervalSet.of
EMPTY = IntervalSet()


def members(s: IntervalSet) -> set[int]:
    return {x for lo, hi in s for x in range(lo, hi + 1)}


@pytest.mark.parametrize(("given", "normal"), [
    ([], ()),
    ([(1, 1)], ((1, 1),)),
    ([(5, 7), (1, 3)], ((1, 3), (5, 7))),          # sorted
    ([(1, 3), (4, 6)], ((1, 6),)),                 # adjacent intervals merge
    ([(1, 3), (5, 6)], ((1, 3), (5, 6))),          # a gap of one stays
    ([(1, 10), (2, 3)], ((1, 10),)),               # contained
    ([(1, 5), (3, 8), (8, 9)], ((1, 9),)),         # overlapping chain
    ([(5, 3)], ()),                                # inverted interval is empty
    ([(0, 0), (2, 2), (1, 1)], ((0, 2),)),
])
def test_of_normalises(given: list[tuple[int, int]], normal: tuple[tuple[int, int], ...]) -> None:
    assert S(given).intervals == normal


def test_single() -> None:
    assert IntervalSet.single(7).intervals == ((7, 7),)
    assert IntervalSet.single(1, 65535).intervals == ((1, 65535),)
    assert IntervalSet.single(5, 4) == EMPTY
    assert IntervalSet.single(0).intervals == ((0, 0),)


def test_bool_size_iter() -> None:
    assert not EMPTY
    assert EMPTY.size() == 0
    s = S([(1, 3), (10, 10)])
    assert s and s.size() == 4
    assert list(s) == [(1, 3), (10, 10)]
    assert IntervalSet.single(0, (1 << 128) - 1).size() == 1 << 128


@pytest.mark.parametrize("value", [1, 3, 10, 20, 25])
def test_contains_members(value: int) -> None:
    assert value in S([(1, 3), (10, 10), (20, 25)])


@pytest.mark.parametrize("value", [0, 4, 9, 11, 19, 26, -1, "3", None, 3.0])
def test_contains_non_members(value: object) -> None:
    assert value not in S([(1, 3), (10, 10), (20, 25)])


def test_contains_empty_and_large() -> None:
    assert 0 not in EMPTY
    big = IntervalSet.single(0, (1 << 128) - 1)
    assert (1 << 128) - 1 in big and 1 << 128 not in big


def test_union() -> None:
    a, b = S([(1, 3), (10, 12)]), S([(4, 5), (11, 20)])
    assert a.union(b).intervals == ((1, 5), (10, 20))
    assert a.union(EMPTY) is a
    assert EMPTY.union(b) is b
    assert S([(1, 1)]).union(S([(3, 3)])).intervals == ((1, 1), (3, 3))
    assert S([(1, 1)]).union(S([(2, 2)])).intervals == ((1, 2),)


@pytest.mark.parametrize(("a", "b", "expected"), [
    ([(1, 10)], [(5, 15)], ((5, 10),)),
    ([(1, 10)], [(10, 20)], ((10, 10),)),          # touching at one point
    ([(1, 10)], [(11, 20)], ()),                   # adjacent: disjoint
    ([(1, 3), (5, 7), (9, 11)], [(2, 10)], ((2, 3), (5, 7), (9, 10))),
    ([(2, 10)], [(1, 3), (5, 7), (9, 11)], ((2, 3), (5, 7), (9, 10))),
    ([(1, 100)], [], ()),
    ([], [(1, 100)], ()),
    ([(1, 5), (10, 15)], [(5, 10)], ((5, 5), (10, 10))),
])
def test_intersection(a: list[tuple[int, int]], b: list[tuple[int, int]],
                      expected: tuple[tuple[int, int], ...]) -> None:
    assert S(a).intersection(S(b)).intervals == expected
    assert members(S(a).intersection(S(b))) == members(S(a)) & members(S(b))


@pytest.mark.parametrize(("a", "b", "expected"), [
    ([(1, 10)], [(3, 4)], ((1, 2), (5, 10))),
    ([(1, 10)], [(1, 10)], ()),
    ([(1, 10)], [(0, 11)], ()),
    ([(1, 10)], [(1, 1)], ((2, 10),)),
    ([(1, 10)], [(10, 10)], ((1, 9),)),
    ([(1, 10)], [(11, 20)], ((1, 10),)),
    ([(1, 3), (5, 7)], [(2, 6)], ((1, 1), (7, 7))),          # one cut spans two intervals
    ([(1, 20)], [(2, 3), (5, 6), (8, 8)], ((1, 1), (4, 4), (7, 7), (9, 20))),
    ([(1, 5), (10, 15), (20, 25)], [(3, 12), (14, 22)], ((1, 2), (13, 13), (23, 25))),
    ([], [(1, 2)], ()),
    ([(1, 2)], [], ((1, 2),)),
])
def test_difference(a: list[tuple[int, int]], b: list[tuple[int, int]],
                    expected: tuple[tuple[int, int], ...]) -> None:
    assert S(a).difference(S(b)).intervals == expected
    assert members(S(a).difference(S(b))) == members(S(a)) - members(S(b))


def test_issubset() -> None:
    assert EMPTY.issubset(EMPTY)
    assert EMPTY.issubset(S([(1, 2)]))
    assert S([(2, 3), (5, 5)]).issubset(S([(1, 5)]))
    assert not S([(1, 6)]).issubset(S([(1, 5)]))
    assert not S([(1, 1)]).issubset(EMPTY)


def test_results_are_normalised_so_equality_is_set_equality() -> None:
    a = S([(1, 3)]).union(S([(4, 6)]))
    assert a == S([(1, 6)])
    assert S([(1, 10)]).difference(S([(4, 4)])).union(S([(4, 4)])) == S([(1, 10)])
