from dagster_and_etl.file_scan import LandedFile
from dagster_and_etl.teaching.display.run_keys import RunKeyNames, readable_run_key, run_key_file

S = 10**9


def test_landings_are_numbered_per_file_in_the_order_seen_whatever_the_change_times():
    first = LandedFile("2018-01-22.csv", 1_516_683_600 * S, 369, landed_ns=1_796_634_784_580_619_600)
    restored = LandedFile("2018-01-22.csv", 1_516_683_600 * S, 369, landed_ns=1_796_634_799_000_000_123)
    other = LandedFile("extra trades.csv", 1_516_683_600 * S, 370, landed_ns=1_796_634_790_000_000_000)
    names = RunKeyNames()
    assert names.all([first.run_key, other.run_key, restored.run_key, first.run_key]) == [
        "2018-01-22.csv, landing 1",
        "extra trades.csv, landing 1",
        "2018-01-22.csv, landing 2",
        "2018-01-22.csv, landing 1",
    ]
    assert readable_run_key(restored.run_key) == "2018-01-22.csv, landing 1"
    assert run_key_file("x@y.csv@1:2:3") == "x@y.csv" and run_key_file("plain") == "plain"
    assert not any(ch.isdigit() for ch in names(first.run_key).replace("2018-01-22", "").replace("landing 1", ""))
