from typing import Any

import pytest
from py_code_mode import _deps as deps
from py_code_mode._deps import normalize, parse_requirement
from py_code_mode.errors import InputError, InvalidRequirementError


def test_the_deps_package_exports_exactly_its_public_names() -> None:
    assert deps.__all__ == ["DepsManager", "Installer", "normalize", "parse_requirement"]


def test_a_hostile_spec_is_rejected_as_invalid_requirement(hostile_spec: Any) -> None:
    with pytest.raises(InvalidRequirementError):
        parse_requirement(hostile_spec)


def test_a_rejected_spec_is_an_input_error_and_a_value_error() -> None:
    with pytest.raises(InputError):
        parse_requirement("-e .")
    with pytest.raises(ValueError):
        parse_requirement("x @ https://example.com/x.whl")


def test_an_allowed_spec_parses_to_its_canonical_line(accepted_spec: tuple[str, str]) -> None:
    spec, line = accepted_spec
    assert normalize(parse_requirement(spec)) == line


def test_a_canonical_line_is_its_own_canonical_line(accepted_spec: tuple[str, str]) -> None:
    _, line = accepted_spec
    assert normalize(parse_requirement(line)) == line


def test_a_spec_of_exactly_256_characters_is_allowed() -> None:
    spec = "x" * 256
    assert normalize(parse_requirement(spec)) == spec
