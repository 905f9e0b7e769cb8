import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
API = "/api/v1"


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    """A local (Beijing) time."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)
