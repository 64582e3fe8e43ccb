"""IMDS options that break nodes or pods."""

import pytest

from spotwise.validate import Severity
from spotwise.validate.imds import check_metadata_options
from validate.conftest import make_pool

FIELD = "spec.launch.metadataOptions"


def test_the_defaults_pass() -> None:
    assert check_metadata_options(make_pool(launch={})) == []
    assert check_metadata_options(make_pool()) == []  # no launch, no IMDS


def test_hop_limit_1_is_a_warning_with_the_fix_set_2() -> None:
    pool = make_pool(launch={"metadataOptions": {"httpPutResponseHopLimit": 1}})
    (finding,) = check_metadata_options(pool)
    assert (finding.severity, finding.field) == (
        Severity.WARNING,
        f"{FIELD}.httpPutResponseHopLimit",
    )
    assert finding.fix.startswith("set 2")


def test_optional_tokens_is_a_warning_about_imdsv1() -> None:
    (finding,) = check_metadata_options(
        make_pool(launch={"metadataOptions": {"httpTokens": "optional"}})
    )
    assert (finding.severity, finding.field) == (Severity.WARNING, f"{FIELD}.httpTokens")
    assert "IMDSv1" in finding.message


@pytest.mark.parametrize(
    ("user_data", "mentions_user_data"),
    [(None, False), ("#!/bin/bash\ncurl http://169.254.169.254/latest/meta-data/\n", True)],
)
def test_a_disabled_endpoint_is_an_error_because_nodeadm_needs_it(
    user_data: str | None, mentions_user_data: bool
) -> None:
    launch = {"metadataOptions": {"httpEndpoint": "disabled", "httpPutResponseHopLimit": 1}}
    if user_data:
        launch["userData"] = user_data
    # Only the error: hop limit and tokens do not matter with the endpoint off.
    (finding,) = check_metadata_options(make_pool(launch=launch))
    assert (finding.severity, finding.field) == (Severity.ERROR, f"{FIELD}.httpEndpoint")
    assert "nodeadm" in finding.message
    assert ("userData reads it too" in finding.message) is mentions_user_data
    assert finding.fix.startswith("set httpEndpoint: enabled")
