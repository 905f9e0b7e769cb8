"""Which login owns a points account (村民 / 从业人员 who open 我的积分 on a phone).

A manager may link only a login they may see: one in their scope (by its organisation), the login of a person
in their registry scope, or one that already owns an account they keep. The login must be one whose role uses
its own points account (``M_POINTS_MY``).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from ningju.core import audit, roles
from ningju.people.models import Person

from ..models import Account
from .ledger import may_manage

A_LINKED = audit.register_action("points.account.linked", "关联积分账户登录账号")

OWNER_ROLES = tuple(r.code for r in roles.ROLES.values() if roles.M_POINTS_MY in r.modules)


def linkable_users(actor) -> QuerySet:
    """Active logins of owner roles (村民, 从业人员) the actor may see and link to an account."""
    User = get_user_model()
    return (User.objects.filter(Q(pk__in=User.objects.visible_to(actor).values("pk"))
                                | Q(person__in=Person.objects.visible_to(actor).values("pk"))
                                | Q(pk__in=Account.objects.visible_to(actor).filter(user__isnull=False)
                                    .values("user_id")),
                                is_active=True, role__in=OWNER_ROLES)
            .order_by("name", "pk"))


def check_owner(actor, user) -> None:
    if user is not None and not linkable_users(actor).filter(pk=user.pk).exists():
        raise ValidationError({"user": "只能关联本辖区的村民或从业人员账号"})


@transaction.atomic
def account_link_user(*, actor, account: Account, user=None) -> Account:
    """Link ``user`` to ``account`` (replacing a previous login), or unlink it with ``user=None``."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if not may_manage(actor, account):
        raise PermissionDenied("只有本组织的积分管理员可以关联登录账号")
    check_owner(actor, user)
    if account.user_id == getattr(user, "pk", None):
        return account
    before = audit.snapshot(account)
    account.user = user
    account.save(update_fields=["user"])
    audit.record(actor=actor, action=A_LINKED, obj=account, before=before, after=audit.snapshot(account))
    return account
