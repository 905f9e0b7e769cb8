"""Writes of the five-star campaign, one transaction per use case.

* :mod:`.standards` — standard sets per year and unit kind, copying a year, editing items, publishing.
* :mod:`.creation` — creation plans, self-assessment with evidence, town review, district evaluation,
  awarding with publicity (公示), objections, withdrawal (摘星).
* :mod:`.supervision` — supervision plans (groups, rounds, balanced unannounced visits), recording a visit
  with its checklist and findings (each a rectification case), re-inspection, post-evaluation.
* :mod:`.projects` — the project library (创星项目库).
"""

from .creation import (  # noqa: F401
    assessment_evaluate,
    assessment_review,
    assessment_submit,
    award_decide_objection,
    award_object,
    award_star,
    award_withdraw,
    awards_settle,
    plan_save,
)
from .projects import project_decide, project_progress, project_propose  # noqa: F401
from .standards import item_save, standard_copy_year, standard_publish  # noqa: F401
from .supervision import (  # noqa: F401
    post_evaluate,
    supervision_plan_create,
    sync_finding,
    visit_record,
)
