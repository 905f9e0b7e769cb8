"""Writes of the case engine, one transaction per use case.

* :mod:`.intake` — filing (worker, anonymous, staff, seminar, grid member, other modules) and routing.
* :mod:`.flow` — the transitions (dispatch, accept, return, transfer, handle, reply, rate, call-back,
  re-open, merge, extension, comment) with optimistic concurrency on ``Case.version``.
* :mod:`.supervision` — reminders before deadlines and overdue notices (督办), run by ``cases_tick``.
* :mod:`.config` — categories, routing and deadline rules, seminars, on-duty leaders, grid members.
* :mod:`.rules`, :mod:`.notify` — routing/deadline lookups and notifications used by the above.
"""

from .config import (  # noqa: F401
    category_create,
    category_update,
    deadline_rule_set,
    duty_shift_create,
    duty_shift_delete,
    grid_member_set,
    routing_rule_delete,
    routing_rule_save,
    seminar_create,
)
from .flow import (  # noqa: F401
    CaseConflict,
    case_accept,
    case_callback,
    case_comment,
    case_decide_extension,
    case_dispatch,
    case_handle,
    case_merge,
    case_rate,
    case_reopen,
    case_reply,
    case_request_extension,
    case_return,
    case_transfer,
)
from .intake import FiledCase, case_file  # noqa: F401
from .notify import mark_read, unread_count  # noqa: F401
from .supervision import TickResult, tick  # noqa: F401
