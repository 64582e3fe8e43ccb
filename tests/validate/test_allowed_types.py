"""--allowed-types: a list of names or a regular expression."""

import pytest

from spotwise.errors import UserError
from spotwise.validate import parse_allowed_types


def test_a_comma_list_allows_exactly_its_names() -> None:
    allowed = parse_allowed_types("m6i.large, m5.large")
    assert allowed.names == {"m6i.large", "m5.large"}
    assert allowed.allows("m5.large") and not allowed.allows("m5a.large")
    assert allowed.describe() == "m5.large, m6i.large"


def test_anything_else_is_a_regex_matched_against_the_whole_name() -> None:
    allowed = parse_allowed_types(r"(m|c)6i\..*")
    assert allowed.allows("m6i.large") and allowed.allows("c6i.2xlarge")
    assert not allowed.allows("r6i.large") and not allowed.allows("xm6i.large")
    assert allowed.describe() == r"/(m|c)6i\..*/"


@pytest.mark.parametrize("text", ["", "  ", "m6i.(large"])
def test_an_empty_or_broken_value_is_a_user_error(text: str) -> None:
    with pytest.raises(UserError, match=r"^--allowed-types: "):
        parse_allowed_types(text)
