"""Domain events (blinker signals): one part of the system reacts to another without importing it.

Receivers run inside the sender's transaction, so whatever they write (outbox rows, assignments)
commits or rolls back with the cause. Every signal is sent with keyword arguments `now`, `rules`,
`calendar` (and more where noted).
"""

from blinker import Namespace

_signals = Namespace()

# sender: Conference. The Office published the announcement; intake is open.
conference_announced = _signals.signal("conference-announced")
# sender: Recommendation, just received (form, API or staff entry), in scope until screened out.
recommendation_received = _signals.signal("recommendation-received")
# sender: Recommendation, screened out by staff (reason on the row).
recommendation_screened_out = _signals.signal("recommendation-screened-out")
# sender: Recommendation whose answer was approved (answer and mode on the row).
answer_approved = _signals.signal("answer-approved")
