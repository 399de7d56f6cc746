"""YAML configs mapped strictly onto dataclasses.

A config mistake (unknown key, wrong type, bad value) raises `ConfigError` naming the key and the file;
the CLI turns it into exit status 2 before anything is written.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path

import yaml


CONFIGS = Path(__file__).resolve().parent.parent / "configs"  # the bundled configs, wherever the command runs


class ConfigError(ValueError):
    pass


def load_config(path: str | Path, cls: type):
    """Load the YAML file `path` into dataclass `cls` (nested dataclasses and dicts of them allowed)."""
    return from_dict(cls, read_yaml(path), path=str(path))


def read_yaml(path: str | Path):
    """The parsed YAML file (safe loading only; an empty file is {}); a missing or broken file is a ConfigError."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None


def from_dict(cls: type, raw, path: str = "<config>", prefix: str = ""):
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {prefix or 'top level'} must be a mapping, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        key = f"{prefix}{unknown[0]}"
        raise ConfigError(f"{path}: unknown key '{key}' (known: {', '.join(sorted(fields))})")
    missing = [name for name, f in fields.items() if name not in raw
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{path}: missing key '{prefix}{missing[0]}'")
    values = {name: _convert(hints[name], value, path, f"{prefix}{name}") for name, value in raw.items()}
    try:
        return cls(**values)
    except _Invalid as e:
        raise ConfigError(f"{path}: '{prefix}{e.key}' {e.message}") from None


def _convert(tp, value, path: str, key: str):
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, path, key + ".")
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        return _convert(next(a for a in args if a is not type(None)), value, path, key)
    if origin is dict:
        kt, vt = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: '{key}' must be a mapping, got {value!r}")
        return {_convert(kt, k, path, f"{key}.{k}"): _convert(vt, v, path, f"{key}.{k}") for k, v in value.items()}
    if origin in (list, tuple):
        (vt, *_) = typing.get_args(tp) or (object,)
        if not isinstance(value, list):
            raise ConfigError(f"{path}: '{key}' must be a list, got {value!r}")
        return origin(_convert(vt, v, path, f"{key}[{i}]") for i, v in enumerate(value))
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp is float and isinstance(value, str):  # YAML 1.1 reads "1.4e12" as a string
        try:
            return float(value)
        except ValueError:
            pass
    if tp in (int, float, str, bool) and not (isinstance(value, tp) and not (tp is int and isinstance(value, bool))):
        raise ConfigError(f"{path}: '{key}' must be {tp.__name__}, got {value!r}")
    return value


class _Invalid(ConfigError):
    def __init__(self, key: str, message: str):
        super().__init__(f"'{key}' {message}")
        self.key, self.message = key, message


def check(condition: bool, key: str, message: str):
    """For `__post_init__` validation of field `key`; the loader adds the file and the enclosing keys."""
    if not condition:
        raise _Invalid(key, message)
