import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from ningju.core import idcard


def test_known_valid_number_parses_with_birth_date_and_gender():
    # 11010519491231002X is the sample number printed in GB 11643-1999.
    parsed = idcard.parse("11010519491231002x")
    assert parsed.value == "11010519491231002X"
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.gender == "F"


def test_generated_numbers_validate():
    number = idcard.make("410882", dt.date(1995, 6, 15), 37)
    parsed = idcard.parse(number)
    assert parsed.gender == "M" and parsed.birth_date == dt.date(1995, 6, 15)


@pytest.mark.parametrize(("raw", "code"), [
    ("11010519491231002", "id_length"),
    ("110105194912310021", "id_checksum"),
    ("110105194902300028", "id_birth_date"),
    ("01010519491231002X", "id_format"),
])
def test_invalid_numbers_are_refused_with_reason(raw, code):
    with pytest.raises(ValidationError) as exc:
        idcard.parse(raw)
    assert exc.value.code == code


def test_future_birth_date_is_refused():
    number = idcard.make("410882", dt.date.today() + dt.timedelta(days=30), 1)
    with pytest.raises(ValidationError):
        idcard.parse(number)


def test_masks():
    assert idcard.mask_id("410882199001011234") == "410882********1234"
    assert idcard.mask_phone("13912345678") == "139****5678"
