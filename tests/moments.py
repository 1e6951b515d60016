"""Named moments for the reference conference: Thursday 04/09/2025 08:30 local (the seed plan's
quarter), whose milestones are checked by hand in tests/domain/test_plan.py."""

import datetime as dt
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def local(y, m, d, hh=9, mm=0, ss=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=VN)


CONFERENCE_START = local(2025, 9, 4, 8, 30)
D_MINUS_10 = local(2025, 8, 20)  # before the announcement deadline, intake open once announced
ANNOUNCE_DUE = local(2025, 8, 22, 23, 59, 59)
INTAKE_OPEN = local(2025, 8, 25, 10)
INTAKE_LAST_SECOND = local(2025, 8, 26, 23, 59, 59)
INTAKE_CLOSED = local(2025, 8, 27, 0, 0, 0)
D_MINUS_1 = local(2025, 9, 3, 23, 59, 59)
AFTER_CONFERENCE = local(2025, 9, 4, 17)
D_PLUS_7 = local(2025, 9, 15, 23, 59, 59)
D_PLUS_14 = local(2025, 9, 24, 23, 59, 59)
D_PLUS_15 = local(2025, 9, 25, 10)
