"""Label selectors (``metav1.LabelSelector``): the one reader and validator.

NetworkPolicies, AdminNetworkPolicies, the DynaKube's ``namespaceSelector`` and the linter
read selectors here, with the API server's rules: label keys are qualified names, values are
label values, ``In``/``NotIn`` need values and ``Exists``/``DoesNotExist`` take none, fields
other than ``matchLabels`` and ``matchExpressions`` are unknown. :func:`read_selector` is the
entry point for one selector; :class:`SelectorReader` is the same reader inside a larger
validator (it reports every problem with its field path and line). The fast path
(:func:`fast_selector`) gives the same selector for a valid one and raises :class:`Slow`
otherwise, so messages always come from the reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dtnetpol.manifest._fields import Field, quote_hint, type_name
from dtnetpol.manifest._names import label_key_error, label_value_error
from dtnetpol.manifest.marks import MarkedMap
from dtnetpol.manifest.problems import Problem
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import LabelSelector, Requirement

SELECTOR_FIELDS = frozenset({"matchLabels", "matchExpressions"})
REQUIREMENT_FIELDS = frozenset({"key", "operator", "values"})
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


class FieldChecker:
    """Collects problems while reading one object's fields."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.notes: list[tuple[SourceLocation, str]] = []

    def add(self, loc: SourceLocation, code: str, message: str) -> None:
        self.problems.append(Problem(loc, code, message))

    def wrong_type(self, f: Field, expected: str) -> None:
        self.add(f.loc, "wrong-type", f"must be {expected}, not {type_name(f.value)}")

    def missing(self, parent: Field, key: str, what: str = "") -> None:
        self.add(parent.loc.at(parent.child_path(key)), "missing-field",
                 f"required field {key!r} is missing{what}")

    def known(self, f: Field, allowed: frozenset[str], what: str,
              hints: Mapping[str, str] | None = None) -> None:
        """Flag every key of ``f`` that ``allowed`` lacks (``f`` must be a mapping)."""
        for key in f.value:
            if key in allowed:
                continue
            child = f.get(key) if isinstance(key, str) else None
            loc = child.loc if child is not None else f.loc.at(f"{f.path}[{key}]")
            hint = (hints or {}).get(key) if isinstance(key, str) else None
            fields = ", ".join(sorted(allowed - {"status"}))
            self.add(loc, "unknown-field",
                     f"unknown field {key!r}: " + (hint or f"{what} has only {fields}"))

    def mapping(self, f: Field | None) -> Field | None:
        """``f`` if it is a mapping; null or absent gives None; anything else a problem."""
        if f is None or f.value is None:
            return None
        if not isinstance(f.value, Mapping):
            self.wrong_type(f, "a mapping")
            return None
        return f

    def items(self, f: Field | None) -> list[Field]:
        """Items of a list field; null or absent gives none; a non-list is a problem."""
        if f is None or f.value is None:
            return []
        if not isinstance(f.value, list):
            self.wrong_type(f, "a list")
            return []
        return f.items()

    def strings(self, f: Field | None) -> list[tuple[Field, str]]:
        out = []
        for item in self.items(f):
            if isinstance(item.value, str):
                out.append((item, item.value))
            else:
                self.wrong_type(item, "a string")
        return out

    def required_str(self, parent: Field, key: str) -> str | None:
        f = parent.get(key)
        if f is None or f.value is None:
            self.missing(parent, key)
            return None
        if not isinstance(f.value, str):
            self.wrong_type(f, "a string")
            return None
        return f.value


class SelectorReader(FieldChecker):
    """A :class:`FieldChecker` that also reads label maps and selectors."""

    def label_map(self, f: Field) -> list[tuple[str, str]]:
        """Validate a ``map[string]string`` of labels; returns its valid pairs."""
        pairs: list[tuple[str, str]] = []
        for key, entry in f.entries():
            if not isinstance(key, str):
                self.add(entry.loc, "wrong-type",
                         f"label key must be a string, not {type_name(key)}")
                continue
            error = label_key_error(key)
            if error is not None:
                self.add(entry.loc, "invalid-label-key", f"label key {key!r} {error}")
            value = "" if entry.value is None else entry.value
            if not isinstance(value, str):
                self.add(entry.loc, "wrong-type", f"label value must be a string, not "
                         f"{type_name(value)}" + quote_hint(key, value))
                continue
            error = label_value_error(value)
            if error is not None:
                self.add(entry.loc, "invalid-label-value", f"label value {value!r} {error}")
            pairs.append((key, value))
        return pairs

    def selector(self, f: Field | None) -> LabelSelector | None:
        """A label selector, or None when absent or null (or invalid)."""
        sel = self.mapping(f)
        if sel is None:
            return None
        self.known(sel, SELECTOR_FIELDS, "a label selector")
        labels: list[tuple[str, str]] = []
        match_labels = self.mapping(sel.get("matchLabels"))
        if match_labels is not None:
            labels = self.label_map(match_labels)
        requirements = [self.requirement(item)
                        for item in self.items(sel.get("matchExpressions"))]
        return LabelSelector(
            match_labels=tuple(sorted(labels)),
            match_expressions=tuple(r for r in requirements if r is not None))

    def requirement(self, item: Field) -> Requirement | None:
        if item.value is None:
            item = Field({}, item.loc)
        elif not isinstance(item.value, Mapping):
            self.wrong_type(item, "a mapping")
            return None
        self.known(item, REQUIREMENT_FIELDS, "a matchExpressions item")
        key = self.required_str(item, "key")
        if key is not None:
            error = label_key_error(key)
            if error is not None:
                kf = item.get("key")
                assert kf is not None
                self.add(kf.loc, "invalid-label-key", f"label key {key!r} {error}")
        operator = self.required_str(item, "operator")
        if operator is not None and operator not in OPERATORS:
            of = item.get("operator")
            assert of is not None
            hint = next((o for o in OPERATORS if o.lower() == operator.lower()), None)
            self.add(of.loc, "invalid-selector-operator",
                     f"operator {operator!r} is not one of In, NotIn, Exists, DoesNotExist"
                     + (f" (operators are case-sensitive: {hint})" if hint else ""))
        values_field = item.get("values")
        values = self.strings(values_field)
        for vf, value in values:
            error = label_value_error(value)
            if error is not None:
                self.add(vf.loc, "invalid-label-value", f"label value {value!r} {error}")
        values_loc = (values_field.loc if values_field is not None
                      else item.loc.at(item.child_path("values")))
        if operator in ("In", "NotIn") and not values:
            if values_field is None or isinstance(values_field.value, list | type(None)):
                self.add(values_loc, "invalid-selector-values",
                         f"values must be given and non-empty with operator {operator}")
        elif operator in ("Exists", "DoesNotExist") and values:
            self.add(values_loc, "invalid-selector-values",
                     f"values may not be given with operator {operator}")
        if key is None or operator not in OPERATORS:
            return None
        return Requirement(key, operator, tuple(v for _, v in values))


class Slow(Exception):
    """The fast reader met something it leaves to :class:`FieldChecker` readers (a problem, a note,
    or just something unusual); the full validator then reads the policy again."""


_CACHE_MAX = 1 << 16
_OK_LABEL_KEYS: set[str] = set()
_OK_LABEL_VALUES: set[str] = set()
_SELECTORS: dict[LabelSelector, LabelSelector] = {}
# Valid ``matchLabels``-only selectors by their raw entries, in the order given.
_BY_LABELS: dict[tuple[Any, ...], LabelSelector] = {}


def _remember(cache: set[str], value: str) -> None:
    if len(cache) < _CACHE_MAX:
        cache.add(value)


def fast_label_key(key: object) -> str:
    if type(key) is not str:
        raise Slow
    if key not in _OK_LABEL_KEYS:
        if label_key_error(key) is not None:
            raise Slow
        _remember(_OK_LABEL_KEYS, key)
    return key


def fast_label_value(value: object) -> str:
    if value is None:
        return ""
    if type(value) is not str:
        raise Slow
    if value not in _OK_LABEL_VALUES:
        if label_value_error(value) is not None:
            raise Slow
        _remember(_OK_LABEL_VALUES, value)
    return value


def fast_labels(value: object) -> list[tuple[str, str]]:
    """``label_map`` of a valid ``map[string]string``."""
    if type(value) is not MarkedMap and type(value) is not dict:
        raise Slow
    assert isinstance(value, dict)
    return [(fast_label_key(k), fast_label_value(v)) for k, v in value.items()]


def fast_selector(value: object) -> LabelSelector | None:
    """``SelectorReader.selector`` of a valid selector (shared: policies repeat selectors)."""
    if value is None:
        return None
    if type(value) is not MarkedMap and type(value) is not dict:
        raise Slow
    assert isinstance(value, dict)
    match_labels = value.get("matchLabels")
    entries: tuple[Any, ...] | None = None
    if len(value) == 1 and isinstance(match_labels, dict):
        # ``matchLabels`` alone, the usual selector: looked up by its raw entries (a tuple
        # of strings hashes in C; the selector's dataclass hash is Python, field by field).
        try:
            entries = tuple(match_labels.items())
            known = _BY_LABELS.get(entries)
        except TypeError:   # a value that is a list or mapping: not valid anyway
            entries = known = None
        if known is not None:
            return known
    if not value.keys() <= SELECTOR_FIELDS:
        raise Slow
    labels = fast_labels(match_labels) if match_labels is not None else []
    requirements: list[Requirement] = []
    expressions = value.get("matchExpressions")
    if expressions is not None:
        if not isinstance(expressions, list):
            raise Slow
        for item in expressions:
            if type(item) is not MarkedMap and type(item) is not dict:
                raise Slow
            if not item.keys() <= REQUIREMENT_FIELDS:
                raise Slow
            key = fast_label_key(item.get("key"))
            operator = item.get("operator")
            if operator not in OPERATORS or type(operator) is not str:
                raise Slow
            raw = item.get("values")
            values: list[str] = []
            if raw is not None:
                if not isinstance(raw, list):
                    raise Slow
                for v in raw:
                    if type(v) is not str:
                        raise Slow
                    values.append(fast_label_value(v))
            if (not values) if operator in ("In", "NotIn") else bool(values):
                raise Slow
            requirements.append(Requirement(key, operator, tuple(values)))
    selector = LabelSelector(match_labels=tuple(sorted(labels)),
                             match_expressions=tuple(requirements))
    shared = _SELECTORS.get(selector)
    if shared is None:
        shared = selector
        if len(_SELECTORS) < _CACHE_MAX:
            _SELECTORS[selector] = selector
    if entries is not None and len(_BY_LABELS) < _CACHE_MAX:
        _BY_LABELS[entries] = shared
    return shared


def read_selector(value: Any, location: SourceLocation
                  ) -> tuple[LabelSelector | None, tuple[Problem, ...]]:
    """One selector at ``location`` (its field path included): the selector, or None when
    it is absent or null, and every problem the API server would report (when there are
    problems the selector is what could be read, or None)."""
    try:
        return fast_selector(value), ()
    except Slow:
        pass
    reader = SelectorReader()
    selector = reader.selector(Field(value, location))
    return selector, tuple(reader.problems)
