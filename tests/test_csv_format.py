from datetime import date

import pandas as pd
import pytest

from dagster_and_etl.csv_format import SourceFileError, read_source_bytes, read_source_file
from dagster_and_etl.sample_data import PREPARED_FILES, day_csv


def test_bytes_are_validated_exactly_as_a_file(tmp_path):
    day = date(2018, 1, 22)
    path = tmp_path / "2018-01-22.csv"
    path.write_text(day_csv(day))
    pd.testing.assert_frame_equal(read_source_bytes(path.name, path.read_bytes(), day), read_source_file(path, day))


@pytest.mark.parametrize("prepared", ["bad_price", "bad_columns", "bad_value", "bad_date", "partial"])
def test_bad_bytes_fail_with_the_files_message_naming_the_object(tmp_path, prepared):
    spec = PREPARED_FILES[prepared]
    path = tmp_path / spec.target_name
    path.write_text(spec.text, encoding="utf-8", newline="")
    with pytest.raises(SourceFileError) as from_file:
        read_source_file(path, date(2018, 2, 2))
    with pytest.raises(SourceFileError) as from_bytes:
        read_source_bytes(f"landing/daily/{spec.target_name}", spec.text.encode(), date(2018, 2, 2))
    assert str(from_bytes.value) == str(from_file.value)
    assert (from_bytes.value.row, from_bytes.value.problem) == (from_file.value.row, from_file.value.problem)


def test_bytes_that_are_not_utf8_name_the_object():
    with pytest.raises(SourceFileError, match=r"^2018-02-02\.csv \(line 1\): not valid UTF-8"):
        read_source_bytes("2018-02-02.csv", b"\xff\xfe")
