"""One conference date for the scenarios, in a calendar year whose days off are decreed (2026), with the
plan's milestones worked out by hand from config/plan.yaml (October 2026 has no day off):
D = Thursday 15/10/2026 08:30; D−7 wd = Tue 06/10; D−5 wd = Thu 08/10; D−1 wd = Wed 14/10;
D+7 wd = Mon 26/10; D+10 wd = Thu 29/10; D+14 wd = Wed 04/11; D+15 wd = Thu 05/11."""

from tests.scenarios.driver import local

DATE = "2026-10-15"
TIME = "08:30"
CREATED = local(2026, 9, 21, 9)
ANNOUNCED = local(2026, 9, 22, 10)  # D−17 wd: in good time
INTAKE = local(2026, 9, 29, 10)
INTAKE_CLOSED = local(2026, 10, 9, 0, 0, 1)  # the first second after D−5
D_MINUS_1_PASSED = local(2026, 10, 15, 0, 0, 1)
ON_THE_DAY = local(2026, 10, 15, 10, 30)
AFTER = local(2026, 10, 16, 9)
D_PLUS_5 = local(2026, 10, 22, 9)
D_PLUS_7 = local(2026, 10, 26, 9)
D_PLUS_8 = local(2026, 10, 27, 9)
D_PLUS_15 = local(2026, 11, 5, 9)
