"""Forms of the points pages. They check the shape of the input; the services decide the rules.

Forms that write points (award, order) carry a hidden client key (a UUID made when the page is rendered): the
services count one request per key, so a double tap or a resubmitted page posts once.
"""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone

from ningju.core.forms import textarea_field

from .models import AccountKind, BoardPublication, Period, Rule
from .services.ledger import MAX_TIMES
from .services.shop import MAX_QUANTITY

NOTE_MAX = 300


def new_key() -> str:
    return uuid.uuid4().hex


class KeyField(forms.CharField):
    """The hidden per-form request key: a UUID, or the page has expired."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("error_messages", {"required": "页面已过期,请刷新后重新提交"})
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        try:
            return uuid.UUID(value).hex
        except ValueError:
            raise forms.ValidationError("页面已过期,请刷新后重新提交") from None


def _date_widget():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _text(label: str, *, required: bool = True, max_length: int = NOTE_MAX, rows: int = 3, hint: str = "",
          required_message: str = ""):
    return textarea_field(label, required=required, max_length=max_length, rows=rows, hint=hint,
                          error_messages={"required": required_message or f"请填写{label}",
                                          "max_length": f"{label}不能超过{max_length}字"})


class _ObjectChoiceField(forms.ChoiceField):
    """A choice among objects given as ``{str(pk): obj}`` (rendered grouped); cleans to the object."""

    def __init__(self, *args, objects: dict | None = None, **kwargs):
        self.objects = objects or {}
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.objects.get(value) if value else None


def rule_label(rule: Rule) -> str:
    cap = f",每{Period(rule.cap_period).label.removeprefix('每')}上限{rule.cap}分" if rule.cap else ""
    return f"{rule.get_category_display()}·{rule.name}({rule.points:+d}分{cap})"


def grouped_rules(rules) -> tuple[list, dict]:
    """Rule choices grouped by rulebook (an option group each) and the rules by key."""
    groups: dict[str, list] = {}
    objects = {}
    for r in rules:
        groups.setdefault(r.rulebook.name, []).append((str(r.pk), rule_label(r)))
        objects[str(r.pk)] = r
    choices = [("", "请选择规则")]
    if len(groups) == 1:
        choices += next(iter(groups.values()))
    else:
        choices += list(groups.items())
    return choices, objects


# --- rulebooks, households, accounts ---------------------------------------------------------------------

class RulebookForm(forms.Form):
    organisation = forms.ModelChoiceField(label="组织", queryset=None, empty_label=None,
                                          error_messages={"invalid_choice": "请选择本辖区的组织"})
    name = forms.CharField(label="名称", max_length=100, error_messages={"required": "请填写名称"},
                           widget=forms.TextInput(attrs={"placeholder": "如:中马村乡村积分管理办法"}))
    applies_to = forms.ChoiceField(label="适用对象", choices=AccountKind.choices)
    publicity_workdays = forms.IntegerField(label="申报公示期(工作日)", min_value=1, max_value=15, initial=3,
                                            error_messages={"min_value": "公示期应为1至15个工作日",
                                                            "max_value": "公示期应为1至15个工作日"})

    def __init__(self, *args, organisations=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:  # the organisation and what the rules apply to stay as created
            del self.fields["organisation"], self.fields["applies_to"]
        else:
            self.fields["organisation"].queryset = organisations


class RuleForm(forms.Form):
    category = forms.ChoiceField(label="类别", choices=Rule.Category.choices)
    name = forms.CharField(label="事项", max_length=100, error_messages={"required": "请填写事项"})
    points = forms.IntegerField(label="分值(每次,扣分填负数)", min_value=-1000, max_value=1000,
                                error_messages={"required": "请填写分值"})
    cap = forms.IntegerField(label="周期上限(分,可空)", min_value=1, required=False)
    cap_period = forms.ChoiceField(label="上限周期", choices=Period.choices, initial=Period.MONTH)
    declarable = forms.BooleanField(label="可申报(村民申报,审核公示后入账)", required=False, initial=True)
    active = forms.BooleanField(label="启用", required=False, initial=True)


class HouseholdForm(forms.Form):
    village = forms.ModelChoiceField(label="村(社区)", queryset=None, empty_label=None,
                                     error_messages={"invalid_choice": "请选择本辖区的村(社区)"})
    number = forms.CharField(label="户号", max_length=20, error_messages={"required": "请填写户号"})
    head_name = forms.CharField(label="户主姓名", max_length=50, error_messages={"required": "请填写户主姓名"})
    members = forms.IntegerField(label="人口", min_value=1, max_value=99, initial=1)
    address = forms.CharField(label="住址(可选)", max_length=120, required=False)

    def __init__(self, *args, villages=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class _OpenForm(forms.Form):
    organisation = forms.ModelChoiceField(label="管理组织", queryset=None, empty_label=None,
                                          error_messages={"invalid_choice": "请选择本辖区的组织"})
    user = forms.ModelChoiceField(label="村民登录账号(可选)", queryset=None, required=False,
                                  error_messages={"invalid_choice": "只能关联本辖区的村民或从业人员账号"})

    def __init__(self, *args, organisations=None, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["user"].queryset = users


class OpenHouseholdForm(_OpenForm):
    household = forms.ModelChoiceField(label="农户", queryset=None,
                                       error_messages={"required": "请选择农户",
                                                       "invalid_choice": "该农户不在辖区内或已开户"})
    field_order = ["household", "organisation", "user"]

    def __init__(self, *args, households=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        self.fields["household"].label_from_instance = lambda h: f"{h.number} {h.head_name}({h.village.name})"


class OpenMemberForm(_OpenForm):
    person = forms.ModelChoiceField(label="党员", queryset=None,
                                    error_messages={"required": "请选择党员",
                                                    "invalid_choice": "该党员不在辖区内或已开户"})
    field_order = ["person", "organisation", "user"]

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = lambda p: (
            f"{p.name}({p.home_division.name})" if p.home_division_id else p.name)


class LinkForm(forms.Form):
    user = forms.ModelChoiceField(label="登录账号", queryset=None, required=False,
                                  error_messages={"invalid_choice": "只能关联本辖区的村民或从业人员账号"})

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users


# --- the ledger ------------------------------------------------------------------------------------------

class AwardForm(forms.Form):
    accounts = forms.ModelMultipleChoiceField(label="积分账户", queryset=None,
                                              error_messages={"required": "请至少选择一个积分账户",
                                                              "invalid_choice": "所选账户不在辖区内",
                                                              "invalid_pk_value": "所选账户不在辖区内"})
    rule = _ObjectChoiceField(label="依据规则", error_messages={"required": "请选择规则",
                                                               "invalid_choice": "规则不存在或已停用"})
    occurred_on = forms.DateField(label="发生日期", widget=_date_widget(),
                                  error_messages={"required": "请填写发生日期"})
    times = forms.IntegerField(label="次数", min_value=1, max_value=MAX_TIMES, initial=1,
                               error_messages={"min_value": f"次数应为1至{MAX_TIMES}的整数",
                                               "max_value": f"次数应为1至{MAX_TIMES}的整数"})
    reason = forms.CharField(label="事由(可选,默认为规则名称)", max_length=200, required=False)
    key = KeyField()

    def __init__(self, *args, accounts=None, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accounts"].queryset = accounts
        choices, objects = grouped_rules(rules)
        self.fields["rule"].choices, self.fields["rule"].objects = choices, objects
        if not self.is_bound:
            self.initial.setdefault("key", new_key())
            self.initial.setdefault("occurred_on", timezone.localdate())


class ReverseForm(forms.Form):
    reason = forms.CharField(label="冲正原因", max_length=150, error_messages={"required": "请填写冲正原因"},
                             widget=forms.TextInput(attrs={"placeholder": "如:记错户,应记给ZM002"}))


DECISIONS_REVIEW = [("approve", "通过,进入公示"), ("reject", "不通过")]
DECISIONS_RESOLVE = [("post", "异议不成立,入账"), ("withdraw", "异议成立,撤销申报")]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label="审核结果", choices=DECISIONS_REVIEW, widget=forms.RadioSelect,
                                 error_messages={"required": "请选择审核结果"})
    comment = _text("审核意见", required=False, rows=2, hint="不通过时必填")


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(label="处理结果", choices=DECISIONS_RESOLVE, widget=forms.RadioSelect,
                                 error_messages={"required": "请选择处理结果"})
    comment = _text("处理意见", rows=2)


# --- declarations and publicity --------------------------------------------------------------------------

class DeclareForm(forms.Form):
    account = forms.ModelChoiceField(label="积分账户", queryset=None, empty_label=None,
                                     error_messages={"invalid_choice": "请选择自己的积分账户"})
    rule = _ObjectChoiceField(label="申报事项", error_messages={"required": "请选择申报事项",
                                                              "invalid_choice": "该事项不接受申报"})
    occurred_on = forms.DateField(label="发生日期", widget=_date_widget(),
                                  error_messages={"required": "请填写发生日期"})
    times = forms.IntegerField(label="次数", min_value=1, max_value=20, initial=1,
                               error_messages={"min_value": "次数应为1至20的整数", "max_value": "次数应为1至20的整数"})
    note = _text("说明", max_length=NOTE_MAX, rows=4, hint="写清楚做了什么、在哪里、有谁可以证明",
                 required_message="请填写申报说明")

    def __init__(self, *args, accounts=None, rules_by_account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules_by_account = rules_by_account or {}
        self.fields["account"].queryset = accounts
        groups, objects = [("", "请选择申报事项")], {}
        several = len(self.rules_by_account) > 1
        for account, rules in self.rules_by_account.items():
            options = [(str(r.pk), rule_label(r)) for r in rules]
            objects.update({str(r.pk): r for r in rules})
            if several:
                groups.append((account.name, options))
            else:
                groups += options
        self.fields["rule"].choices, self.fields["rule"].objects = groups, objects
        if not several:
            self.fields["account"].widget = forms.HiddenInput()
        if not self.is_bound:
            self.initial.setdefault("occurred_on", timezone.localdate())
            if self.rules_by_account:
                self.initial.setdefault("account", next(iter(self.rules_by_account)).pk)

    def clean(self):
        data = super().clean()
        account, rule = data.get("account"), data.get("rule")
        if account and rule and rule not in self.rules_by_account.get(account, []):
            self.add_error("rule", "该事项不适用于所选积分账户")
        return data


class ObjectForm(forms.Form):
    text = _text("异议内容", rows=2, hint="说明您认为不属实的情况", required_message="请填写异议内容")


# --- boards --------------------------------------------------------------------------------------------

class PublishForm(forms.Form):
    organisation = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=BoardPublication.Kind.choices, widget=forms.HiddenInput)
    period = forms.CharField(max_length=7, widget=forms.HiddenInput)


# --- the shop ------------------------------------------------------------------------------------------

class OrderForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    account = forms.IntegerField(widget=forms.HiddenInput, required=False)
    quantity = forms.IntegerField(label="数量", min_value=1, max_value=MAX_QUANTITY, initial=1,
                                  error_messages={"min_value": f"数量应为1至{MAX_QUANTITY}的整数",
                                                  "max_value": f"数量应为1至{MAX_QUANTITY}的整数",
                                                  "required": "请填写数量"})
    key = KeyField()


class ItemForm(forms.Form):
    name = forms.CharField(label="商品名称", max_length=60, error_messages={"required": "请填写商品名称"})
    price = forms.IntegerField(label="所需积分", min_value=1, error_messages={"min_value": "所需积分应为正整数"})
    stock = forms.IntegerField(label="库存", min_value=0, error_messages={"min_value": "库存应为不小于0的整数"})
    unit = forms.CharField(label="单位", max_length=10, initial="件")
    active = forms.BooleanField(label="上架", required=False, initial=True)


class FulfilForm(forms.Form):
    pickup_code = forms.CharField(
        label="取货码", max_length=8, error_messages={"required": "请输入取货码"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*",
                                      "placeholder": "6位数字", "class": "pt-code-input"}))


class ShopForm(forms.Form):
    organisation = forms.ModelChoiceField(label="所属组织", queryset=None, empty_label=None,
                                          error_messages={"invalid_choice": "请选择本辖区的组织"})
    name = forms.CharField(label="名称", max_length=60, initial="积分超市")
    address = forms.CharField(label="地址(可选)", max_length=120, required=False)
    hours = forms.CharField(label="开放时间(可选)", max_length=60, required=False,
                            widget=forms.TextInput(attrs={"placeholder": "如:每周六 9:00-11:00"}))
    keeper = forms.ModelChoiceField(label="超市管理员", queryset=None, required=False,
                                    error_messages={"invalid_choice": "只能选择本辖区的账号"})

    def __init__(self, *args, organisations=None, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["keeper"].queryset = users
