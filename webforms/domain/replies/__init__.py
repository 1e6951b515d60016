"""What a department does behind its link, and what the Board does with the answer.

- `holder`: the holder of the link drafts, chooses the answer mode, declares coordination, gives input,
  returns an item that is not its own, delegates, and submits the draft for approval;
- `files`: the department's files with its draft;
- `board`: the Board sends the draft back or approves it; the reply letter; the answer sent at issue;
- `common`: the refusal (ReplyError), the text limits and the checks the three share.

Every operation takes the assignment it acts on, the actor (for the audit trail) and `now`; it
writes in the caller's transaction and returns whether anything changed, so a double submit is a
no-op rather than a duplicate. Refusals are ReplyError with a Vietnamese message for the page.
This package is the blueprints' one name for all of it (`replies.approve_answer`).
"""

from webforms.domain.replies.board import (
    approve_answer,
    approved_reply_letter,
    close_coordination,
    send_back,
    send_issued_answer,
    submitted_answers,
)
from webforms.domain.replies.common import (
    ANSWER_MAX,
    REASON_MAX,
    ReplyError,
)
from webforms.domain.replies.files import (
    FilesRefused,
    add_draft_files,
    answer_files,
    department_file_attachments,
    department_files,
    remove_draft_file,
)
from webforms.domain.replies.holder import (
    choose_answer_mode,
    declare_coordination,
    delegate,
    give_coordination_input,
    reassign_by_staff,
    return_not_ours,
    save_draft_answer,
    submit_for_approval,
)

__all__ = [
    "ANSWER_MAX",
    "FilesRefused",
    "REASON_MAX",
    "ReplyError",
    "add_draft_files",
    "answer_files",
    "approve_answer",
    "approved_reply_letter",
    "choose_answer_mode",
    "close_coordination",
    "declare_coordination",
    "delegate",
    "department_file_attachments",
    "department_files",
    "give_coordination_input",
    "reassign_by_staff",
    "remove_draft_file",
    "return_not_ours",
    "save_draft_answer",
    "send_back",
    "send_issued_answer",
    "submit_for_approval",
    "submitted_answers",
]
