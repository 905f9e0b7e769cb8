from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ningju.core import audit
from ningju.core.idcard import validate_phone
from ningju.core.roles import ROLES

from .models import ApiToken, ScopeGrant, User, hash_token

A_USER_CREATED = audit.register_action("accounts.user.created", "新增账号")
A_USER_UPDATED = audit.register_action("accounts.user.updated", "修改账号")
A_PASSWORD = audit.register_action("accounts.user.password_changed", "修改密码")
A_TOKEN_CREATED = audit.register_action("accounts.token.created", "创建API令牌")
A_TOKEN_REVOKED = audit.register_action("accounts.token.revoked", "撤销API令牌")
A_GRANT = audit.register_action("accounts.grant.created", "授予查看范围")
A_GRANT_REVOKED = audit.register_action("accounts.grant.revoked", "收回查看范围")


@transaction.atomic
def user_create(*, actor, phone: str, name: str, password: str, role: str = "", organisation=None,
                person=None, source: str = "web", is_superuser: bool = False) -> User:
    phone = validate_phone(phone)
    if role and role not in ROLES:
        raise ValidationError({"role": "角色无效"})
    if role and ROLES[role].staff and organisation is None:
        raise ValidationError({"organisation": "工作人员账号必须属于一个组织"})
    if User.objects.filter(phone=phone).exists():
        raise ValidationError({"phone": "该手机号已注册"})
    user = User(phone=phone, name=name, role=role, organisation=organisation, person=person,
                is_superuser=is_superuser, is_staff=is_superuser)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    audit.record(actor=actor, action=A_USER_CREATED, obj=user, after=audit.snapshot(user), source=source)
    return user


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationError({"old_password": "原密码不正确"})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(actor=user, action=A_PASSWORD, obj=user)


@transaction.atomic
def token_create(*, user: User, name: str, days: int | None = 90) -> tuple[ApiToken, str]:
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100] or "API", prefix=raw[3:9], key_hash=hash_token(raw),
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    audit.record(actor=user, action=A_TOKEN_CREATED, obj=token, after={"name": token.name},
                 division_path=user.audit_scope_paths()[0], org_path=user.audit_scope_paths()[1])
    return token, raw


@transaction.atomic
def token_revoke(*, user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise ValidationError("只能撤销自己的令牌")
    token.revoked = True
    token.save(update_fields=["revoked"])
    audit.record(actor=user, action=A_TOKEN_REVOKED, obj=token, before={"revoked": False},
                 after={"revoked": True}, division_path=user.audit_scope_paths()[0],
                 org_path=user.audit_scope_paths()[1])


def token_user(raw: str) -> User | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.is_valid or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def grant_create(*, actor, user: User, organisation, reason: str = "", source: str = "web") -> ScopeGrant:
    grant, _ = ScopeGrant.objects.update_or_create(user=user, organisation=organisation,
                                                   defaults={"reason": reason, "active": True})
    audit.record(actor=actor, action=A_GRANT, obj=grant, after={"user": str(user), "organisation": str(organisation)},
                 division_path=organisation.division.path, org_path=organisation.path, source=source)
    return grant


@transaction.atomic
def grant_revoke(*, actor, user: User, organisation, source: str = "web") -> ScopeGrant | None:
    """Deactivate the user's grant on ``organisation`` (kept for the record); None if there was none active."""
    grant = ScopeGrant.objects.select_for_update().filter(user=user, organisation=organisation, active=True).first()
    if grant is None:
        return None
    grant.active = False
    grant.save(update_fields=["active"])
    user.__dict__.pop("_ningju_scope", None)  # a scope cached on this object would still hold the subtree
    audit.record(actor=actor, action=A_GRANT_REVOKED, obj=grant, before={"active": True}, after={"active": False},
                 division_path=organisation.division.path, org_path=organisation.path, source=source)
    return grant
