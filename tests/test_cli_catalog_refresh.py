"""`spotwise catalog refresh` end to end against the moto server.

moto has no Pricing API, so a refresh pointed at it must stop at the pricing step with
one clear line, and write nothing.
"""

import errno
import gzip
import json
from importlib import resources

import pytest

from spotwise.catalog import refresh, snapshot
from spotwise.catalog.inputs import CatalogInputs
from spotwise.cli.app import main

MOTO_TYPES = resources.files("moto.ec2") / "resources" / "instance_types.json.gz"

BUCKETS = [("<5%", 5), ("5-10%", 11), ("10-15%", 16), ("15-20%", 22), (">20%", 100)]


def test_refresh_without_a_pricing_api_fails_cleanly(aws_endpoint, tmp_path, capsys):
    advisor = tmp_path / "advisor.json"
    advisor.write_text(
        json.dumps(
            {
                "ranges": [
                    {"index": i, "label": label, "dots": i, "max": top}
                    for i, (label, top) in enumerate(BUCKETS)
                ],
                "instance_types": {},
                "spot_advisor": {"us-east-1": {"Linux": {"m5.large": {"s": 60, "r": 1}}}},
                "global_rate": "<10%",
            }
        )
    )
    out = tmp_path / "catalog.json.gz"
    args = ["catalog", "refresh", "--endpoint-url", aws_endpoint, "--out", str(out)]
    code = main([*args, "--advisor-url", advisor.as_uri()])
    _, err = capsys.readouterr()
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "price list getproducts" in errors[0].lower()
    assert not out.exists()


def _no_fetch(*args, **kwargs):
    raise AssertionError("the refresh must not start when the output cannot be written")


@pytest.mark.parametrize("where", ["under_a_file", "a_folder"])
def test_an_unwritable_out_fails_before_the_refresh(tmp_path, capsys, monkeypatch, where):
    monkeypatch.setattr(refresh, "fetch_inputs", _no_fetch)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = blocker / "sub" / "catalog.json.gz" if where == "under_a_file" else tmp_path
    code = main(["catalog", "refresh", "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("error: --out") and len(err.strip().splitlines()) == 1


def test_a_failed_write_is_one_line(tmp_path, capsys, monkeypatch):
    item = json.loads(gzip.decompress(MOTO_TYPES.read_bytes()))["m5.large"]
    inputs = CatalogInputs(
        region="us-east-1",
        instance_types=[item],
        zone_offerings={"m5.large": frozenset({"us-east-1a"})},
        zone_ids={"us-east-1a": "use1-az2"},
        on_demand={"m5.large": 0.096},
        spot_history=[],
        advisor={},
        sources=(),
        built_at="2026-01-01",
    )
    monkeypatch.setattr(refresh, "fetch_inputs", lambda *args, **kwargs: inputs)

    def full_disk(catalog, path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(snapshot, "write", full_disk)
    out = tmp_path / "catalog.json.gz"
    code = main(["catalog", "refresh", "--out", str(out)])
    _, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(errors) == 1
    assert errors[0].startswith("error: --out") and "No space left" in errors[0]
