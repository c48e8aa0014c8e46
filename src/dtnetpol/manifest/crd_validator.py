"""Validate a custom resource against its CRD's structural OpenAPI v3 schema (jsonschema).

The CRD's ``openAPIV3Schema`` is turned into a JSON Schema the ``jsonschema`` library runs:

* ``x-kubernetes-*`` keywords are dropped after their meaning is applied:
  ``x-kubernetes-preserve-unknown-fields: true`` keeps unknown fields,
  ``x-kubernetes-int-or-string: true`` allows an integer or a string; list/map types are not
  evaluated, and neither are validation rules (CEL, ``x-kubernetes-validations``): they are
  listed by :attr:`CrdValidator.unchecked_rules` so that callers can say which checks the API
  server makes that this one does not.
* OpenAPI 3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` (a flag on ``minimum`` and
  ``maximum``) become JSON Schema's numeric form.
* The ``cidr`` format (Kubernetes: an IPv4 or IPv6 CIDR) is checked; other formats are not.
* ``nullable: true`` admits ``null``. A ``null`` for any other field is removed before
  validation, as the API server prunes it.
* **Unknown fields are reported.** A structural schema lists every field; the API server drops
  the others. Since Kubernetes 1.27 ``kubectl`` asks for strict field validation by default
  (``--validate=strict``), so the request is rejected with "unknown field"; with
  ``--validate=false`` the field silently disappears. Either way the setting does not take
  effect, so we treat it like any other invalid input: an error with its field path. Objects
  that declare ``additionalProperties`` (maps) or preserve unknown fields are left open, and
  so are the branches of ``oneOf``/``anyOf``/``allOf``: in a structural schema a branch only
  restates which of the parent's fields must be present (``{properties: {cidr: {}},
  required: [cidr]}``), so closing it would reject every field the branch does not name.
* ``metadata`` is ObjectMeta, validated by the API server itself: only the shapes of name,
  namespace, labels and annotations are checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dtnetpol.manifest._fields import type_name

Problem = tuple[str, str]

_DROP = ("description", "example", "nullable", "default")

_METADATA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
        "annotations": {"type": "object",
                        "additionalProperties": {"type": ["string", "null"]}},
    },
}

_TYPE_WORDS = {
    "object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
    "number": "a number", "boolean": "a boolean", "null": "null",
}


def _nullable(schema: Mapping[str, Any]) -> bool:
    return bool(schema.get("nullable"))


def convert_schema(schema: Mapping[str, Any], *, top: bool = False,
                   branch: bool = False) -> dict[str, Any]:
    """A Kubernetes structural schema as a JSON Schema (see the module docstring).

    ``branch``: the schema is a ``oneOf``/``anyOf``/``allOf`` branch, left open.
    """
    out: dict[str, Any] = {}
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    for key, value in schema.items():
        if key.startswith("x-kubernetes-") or key in _DROP:
            continue
        if key == "properties":
            out[key] = {name: (dict(_METADATA_SCHEMA) if top and name == "metadata"
                               else convert_schema(sub))
                        for name, sub in value.items()}
        elif key in ("items", "not", "additionalProperties") and isinstance(value, Mapping):
            out[key] = convert_schema(value)
        elif key in ("anyOf", "allOf", "oneOf"):
            out[key] = [convert_schema(v, branch=True) for v in value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            continue   # OpenAPI 3.0's flag on minimum/maximum: applied below
        else:
            out[key] = value
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if schema.get(flag) is True and bound in out:
            out[flag] = out.pop(bound)
    if schema.get("x-kubernetes-int-or-string") and "anyOf" not in out:
        out["type"] = ["integer", "string"]
    is_object = out.get("type") == "object" or "properties" in out
    if is_object and not preserve and not branch and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if _nullable(schema):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif isinstance(out.get("type"), list):
            out["type"] = [*out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    return out


def cel_rules(schema: Mapping[str, Any], path: str = "") -> list[tuple[str, str, str]]:
    """(field path, rule, message) of every ``x-kubernetes-validations`` rule, in order."""
    out: list[tuple[str, str, str]] = []
    for rule in schema.get("x-kubernetes-validations") or ():
        if isinstance(rule, Mapping):
            out.append((path or "(object)", str(rule.get("rule", "")),
                        str(rule.get("message", ""))))
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, Mapping):
            out.extend(cel_rules(sub, _join(path, str(name))))
    items = schema.get("items")
    if isinstance(items, Mapping):
        out.extend(cel_rules(items, f"{path}[]"))
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        out.extend(cel_rules(extra, f"{path}[*]"))
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in schema.get(key) or ():
            if isinstance(sub, Mapping):
                out.extend(cel_rules(sub, path))
    return out


def _cidr(value: object) -> bool:
    """The Kubernetes ``cidr`` format: an IPv4 or IPv6 network (``net.ParseCIDR``)."""
    import ipaddress
    if not isinstance(value, str):
        return True
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return "/" in value


def prune_nulls(value: Any, schema: Mapping[str, Any]) -> Any:
    """A copy of ``value`` without null fields the schema does not declare nullable."""
    if isinstance(value, Mapping):
        props: Mapping[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        out: dict[Any, Any] = {}
        for k, v in value.items():
            sub = props.get(k) if isinstance(k, str) else None
            if sub is None and isinstance(extra, Mapping):
                sub = extra
            if v is None and (sub is None or not _nullable(sub)):
                continue
            out[k] = prune_nulls(v, sub) if sub is not None else v
        return out
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            return [prune_nulls(v, items) for v in value]
    return value


def _descend(schema: Mapping[str, Any], key: object) -> Mapping[str, Any]:
    if isinstance(key, int):
        items = schema.get("items")
        return items if isinstance(items, Mapping) else {}
    props = schema.get("properties") or {}
    if key in props:
        sub: Mapping[str, Any] = props[key]
        return sub
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else {}


def field_path(schema: Mapping[str, Any], path: Iterable[object]) -> str:
    """``spec.oneAgent.hostMonitoring.labels[app.kubernetes.io/name]`` style paths."""
    text = ""
    node = schema
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        elif key in (node.get("properties") or {}):
            text += f".{key}" if text else str(key)
        elif isinstance(node.get("additionalProperties"), Mapping):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
        node = _descend(node, key)
    return text


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _type_words(expected: object) -> str:
    names: list[object] = ([expected] if isinstance(expected, str)
                           else list(expected) if isinstance(expected, list | tuple) else [])
    words = [_TYPE_WORDS.get(str(n), str(n)) for n in names if n != "null"]
    return " or ".join(words) if words else "null"


def _problems(error: Any, schema: Mapping[str, Any]) -> list[Problem]:
    path = field_path(schema, error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and error.validator_value is False:
        known = error.schema.get("properties") or {}
        extras = [k for k in error.instance if k not in known]
        return [(_join(path, str(k)),
                 f'unknown field "{k}": kubectl (--validate=strict, the default) rejects the '
                 "object; with --validate=false the API server silently drops the field")
                for k in extras]
    if kind == "required":
        return [(_join(path, str(name)), "required field is missing")
                for name in error.validator_value if name not in error.instance]
    if kind == "type":
        return [(path, f"must be {_type_words(error.validator_value)}, "
                       f"not {type_name(error.instance)}")]
    if kind == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value if v is not None)
        return [(path, f"must be one of {allowed}, not {error.instance!r}")]
    if kind == "anyOf":
        types = [s.get("type") for s in error.validator_value if isinstance(s, Mapping)]
        if types and all(isinstance(t, str) for t in types):
            return [(path, f"must be {_type_words(types)}, not {type_name(error.instance)}")]
        from jsonschema.exceptions import best_match  # type: ignore[import-untyped,unused-ignore]

        inner = best_match(error.context) if error.context else None
        if inner is not None:
            return _problems(inner, schema)
    return [(path, str(error.message))]


class CrdValidator:
    """The schemas of one CRD, converted once, validating objects of any served version."""

    def __init__(self, crd: Mapping[str, Any]) -> None:
        spec = crd.get("spec")
        if not isinstance(spec, Mapping):
            raise ValueError("not a CustomResourceDefinition: no spec")
        names = spec.get("names") or {}
        self.group: str = str(spec.get("group", ""))
        self.kind: str = str(names.get("kind", "")) if isinstance(names, Mapping) else ""
        self._raw: dict[str, Mapping[str, Any]] = {}
        self._json: dict[str, dict[str, Any]] = {}
        self.served: tuple[str, ...] = ()
        served: list[str] = []
        for version in spec.get("versions") or ():
            schema = ((version.get("schema") or {}).get("openAPIV3Schema")
                      if isinstance(version, Mapping) else None)
            if not isinstance(schema, Mapping):
                continue
            name = str(version.get("name"))
            self._raw[name] = schema
            if version.get("served", True):
                served.append(name)
        self.served = tuple(served)

    def unchecked_rules(self, version: str) -> list[tuple[str, str, str]]:
        """The CEL validation rules of ``version`` this validator does not evaluate:
        (field path, rule, message). The API server does; say so where it matters."""
        raw = self._raw.get(version)
        return cel_rules(raw) if raw is not None else []

    def _schema(self, version: str) -> dict[str, Any]:
        if version not in self._json:
            self._json[version] = convert_schema(self._raw[version], top=True)
        return self._json[version]

    def validate(self, body: Any) -> list[Problem]:
        """(field path, message) for every way ``body`` violates the schema, sorted."""
        if not isinstance(body, Mapping):
            return [("", f"must be a mapping, not {type_name(body)}")]
        api_version = body.get("apiVersion")
        kind = body.get("kind")
        if kind != self.kind:
            return [("kind", f"must be {self.kind}, not {kind!r}")]
        if not isinstance(api_version, str) or "/" not in api_version:
            return [("apiVersion", f"must be {self.group}/<version>, not {api_version!r}")]
        group, _, version = api_version.partition("/")
        if group != self.group:
            return [("apiVersion", f"group must be {self.group}, not {group!r}")]
        if version not in self.served:
            return [("apiVersion", f"version {version!r} is not served by this CRD "
                                   f"(served: {', '.join(self.served) or 'none'})")]
        schema = self._schema(version)
        instance = prune_nulls(body, self._raw[version])
        # Imported here: jsonschema takes a tenth of a second to import, and only --crd
        # needs it.
        import jsonschema  # type: ignore[import-untyped,unused-ignore]

        checker = jsonschema.FormatChecker(formats=())
        checker.checks("cidr")(_cidr)
        validator = jsonschema.Draft7Validator(schema, format_checker=checker)
        found: list[Problem] = []
        for error in validator.iter_errors(instance):
            for problem in _problems(error, schema):
                if problem not in found:
                    found.append(problem)
        return sorted(found)


def validate_against(crd: Mapping[str, Any] | CrdValidator, body: Any) -> Sequence[Problem]:
    validator = crd if isinstance(crd, CrdValidator) else CrdValidator(crd)
    return validator.validate(body)
