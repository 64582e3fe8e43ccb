"""`spotwise catalog refresh` end to end against the moto server.

moto has no Pricing API, so a refresh pointed at it must stop at the pricing step with
one clear line, and write nothing.
"""

import json

from spotwise.cli.app import main

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
