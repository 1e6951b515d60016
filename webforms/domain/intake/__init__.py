"""Enterprise intake: the window, submissions (form, API, staff entry), re-submissions, screening, quorum.

- `window`: when the intake is open (from the announcement to the intake_closes milestone);
- `links`: the enterprise's private token, its status link, the signed re-submission link;
- `submit`: a submission, idempotent by its key; `registrations`: the rows it writes;
- `resubmit`: a second submission, held until the address on file confirms it; `receipts`: the receipt, held
  past the per-address daily limit until the tick can send it;
- `screening`: out of scope, with a reason; `quorum`: what arrived by the cutoff, counted once;
- `reading`: what the status page and the API say about a recommendation.

No Flask request state here: callers pass `now`, the rules, the calendar and the settings. Side
effects (receipt emails, events for routing) happen in the caller's transaction; the caller commits.
"""
