"""The case engine's vocabulary: kinds, states, priorities, ratings and the allowed transitions.

One table (:data:`TRANSITIONS`) says from which states each action may run; services refuse any other
with a message naming the case's current state.
"""

from django.db import models


class CaseKind(models.TextChoices):
    GRIEVANCE = "grievance", "诉求"
    INCIDENT = "incident", "事件报告"
    RECTIFICATION = "rectification", "整改事项"


NUMBER_PREFIX = {CaseKind.GRIEVANCE: "SQ", CaseKind.INCIDENT: "SJ", CaseKind.RECTIFICATION: "ZG"}


class Status(models.TextChoices):
    SUBMITTED = "submitted", "待分派"
    DISPATCHED = "dispatched", "待受理"
    ACCEPTED = "accepted", "办理中"
    HANDLED = "handled", "已办理待答复"
    REPLIED = "replied", "已答复待评价"
    CLOSED = "closed", "已办结"
    MERGED = "merged", "已合并"


OPEN_STATES = (Status.SUBMITTED, Status.DISPATCHED, Status.ACCEPTED, Status.HANDLED)
# States in which the responsible organisation still owes the filer a reply.
HANDLER_STATES = (Status.DISPATCHED, Status.ACCEPTED, Status.HANDLED)
RESOLVED_STATES = (Status.REPLIED, Status.CLOSED)


class Priority(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"
    EMERGENCY = "emergency", "特急"


class Rating(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


SATISFIED_RATINGS = (Rating.SATISFIED, Rating.BASIC)


class Source(models.TextChoices):
    ONLINE = "online", "网上提交"
    ANONYMOUS = "anonymous", "匿名提交"
    SEMINAR = "seminar", "座谈会收集"
    STAFF = "staff", "工作人员录入"
    GRID = "grid", "网格员上报"
    OPEN311 = "open311", "Open311接口"
    SUPERVISION = "supervision", "督导发现"


class Unit(models.TextChoices):
    WORKDAY = "workday", "工作日"
    HOUR = "hour", "小时"


class Action(models.TextChoices):
    SUBMIT = "submit", "提交"
    ROUTE = "route", "自动分派"
    DISPATCH = "dispatch", "分派"
    ACCEPT = "accept", "受理"
    RETURN = "return", "退回"
    TRANSFER = "transfer", "转办"
    HANDLE = "handle", "办理"
    REPLY = "reply", "答复"
    RATE = "rate", "评价"
    CALLBACK = "callback", "回访评价"
    CLOSE = "close", "办结"
    REOPEN = "reopen", "重新办理"
    MERGE = "merge", "合并"
    MERGED_IN = "merged_in", "并入重复事项"
    EXTEND_REQUEST = "extend_request", "申请延期"
    EXTEND_APPROVE = "extend_approve", "同意延期"
    EXTEND_REJECT = "extend_reject", "不同意延期"
    COMMENT = "comment", "补充说明"
    REMIND = "remind", "临期提醒"
    SUPERVISE = "supervise", "超期督办"


S = Status
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Action.DISPATCH: (S.SUBMITTED,),
    Action.ACCEPT: (S.DISPATCHED,),
    Action.RETURN: (S.DISPATCHED,),
    Action.TRANSFER: (S.DISPATCHED, S.ACCEPTED),
    Action.HANDLE: (S.ACCEPTED,),
    Action.REPLY: (S.HANDLED,),
    Action.RATE: (S.REPLIED,),
    Action.CALLBACK: (S.REPLIED,),
    Action.REOPEN: (S.CLOSED,),
    Action.MERGE: (S.SUBMITTED, S.DISPATCHED, S.ACCEPTED),
    Action.EXTEND_REQUEST: (S.ACCEPTED,),
    Action.EXTEND_APPROVE: (S.ACCEPTED, S.HANDLED),
    Action.EXTEND_REJECT: (S.ACCEPTED, S.HANDLED),
    Action.COMMENT: (S.SUBMITTED, S.DISPATCHED, S.ACCEPTED, S.HANDLED, S.REPLIED),
}

REOPEN_LIMIT = 1          # an unsatisfied filer may re-open a case once
REOPEN_WINDOW_DAYS = 15   # ... within this many calendar days of its closing
TEXT_MAX = 2000
TITLE_MAX = 60
COMMENT_MAX = 1000
MAX_ATTACHMENTS = 6
