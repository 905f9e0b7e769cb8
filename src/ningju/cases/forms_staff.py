"""Forms of the staff pages. They check the shape of the input; the services decide the rules.

Organisation and user pickers validate against everything the actor may see (``queryset``) but are rendered
by the templates from a short list plus an htmx search (``cases:staff_org_options`` / ``staff_user_options``),
so a city-wide dispatcher does not get a thousand-option list on every row.
"""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone

from ningju.core.forms import textarea_field
from ningju.core.uploads import MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES
from ningju.orgs.models import Organisation

from .models import Category, GridMember, RoutingRule, Seminar
from .states import COMMENT_MAX, MAX_ATTACHMENTS, TEXT_MAX, TITLE_MAX, CaseKind, Priority, Rating, Unit

FILE_HELP = (f"可选,最多{MAX_ATTACHMENTS}个:JPEG、PNG、WebP图片(不超过{MAX_IMAGE_BYTES // 1024 // 1024}MB)"
             f"或PDF(不超过{MAX_DOCUMENT_BYTES // 1024 // 1024}MB)")
FILE_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; gives a list (empty when none was chosen)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": FILE_ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [super(MultipleFileField, self).clean(f, initial) for f in files if f]
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(f"一次最多上传{MAX_ATTACHMENTS}个附件")
        return files


def _text(label: str, *, required: bool = True, rows: int = 3, max_length: int = COMMENT_MAX, hint: str = ""):
    return textarea_field(label, required=required, rows=rows, max_length=max_length, hint=hint)


def _date_widget():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def division_label(d) -> str:
    return "\u3000" * max(0, d.level - 1) + d.name


def category_label(c: Category) -> str:
    return ("\u3000" if c.parent_id else "") + c.name


# --- case actions ----------------------------------------------------------------------------------------

class VersionForm(forms.Form):
    """Every step on a case sends the version the page showed (see ``services.flow.lock``)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AcceptForm(VersionForm):
    comment = _text("受理意见(可选)", required=False, rows=2)


class ReturnForm(VersionForm):
    reason = _text("退回理由", hint="说明该事项为何不属于本单位办理,建议由哪个单位办理")


class HandleForm(VersionForm):
    result = _text("办理结果", rows=4, hint="做了什么、结果如何")
    files = MultipleFileField(label="办理佐证材料", help_text=FILE_HELP)


class ReplyForm(VersionForm):
    reply = _text("答复内容", rows=4, hint="将发送给提交人的答复")
    files = MultipleFileField(label="附件", help_text=FILE_HELP)


class ExtendForm(VersionForm):
    days = forms.IntegerField(label="延期(工作日)", min_value=1, max_value=30, initial=3)
    reason = _text("延期理由")


class OrganisationPickForm(VersionForm):
    organisation = forms.ModelChoiceField(label="承办单位", queryset=Organisation.objects.none(),
                                          error_messages={"invalid_choice": "承办单位不存在或不在管辖范围内",
                                                          "required": "请选择承办单位"})

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations


class DispatchForm(OrganisationPickForm):
    comment = _text("分派说明(可选)", required=False, rows=2)


class TransferForm(OrganisationPickForm):
    reason = _text("转办理由")


class MergeForm(VersionForm):
    into = forms.CharField(label="并入事项编号", max_length=20,
                           widget=forms.TextInput(attrs={"placeholder": "如 SQ20261125000123", "autocomplete": "off"}))
    comment = _text("说明(可选)", required=False, rows=2)


class DecideExtensionForm(VersionForm):
    decision = forms.ChoiceField(label="审批意见", choices=[("approve", "同意延期"), ("reject", "不同意")],
                                 widget=forms.RadioSelect, initial="approve")
    comment = _text("意见(不同意时必填)", required=False, rows=2)


class CallbackForm(VersionForm):
    rating = forms.ChoiceField(label="回访评价", choices=Rating.choices, widget=forms.RadioSelect)
    comment = _text("回访情况", rows=2, hint="回访时间、方式和提交人的意见")


class ReopenForm(VersionForm):
    reason = _text("重新办理的理由", hint="提交人不满意的原因")


class CommentForm(forms.Form):
    """A note without a change of state; the service serialises it itself (no version)."""

    comment = _text("补充说明", rows=2)
    files = MultipleFileField(label="附件", help_text=FILE_HELP)


ACTION_FORMS = {
    "accept": AcceptForm, "return": ReturnForm, "handle": HandleForm, "reply": ReplyForm, "extend": ExtendForm,
    "dispatch": DispatchForm, "transfer": TransferForm, "merge": MergeForm, "decide": DecideExtensionForm,
    "callback": CallbackForm, "reopen": ReopenForm, "comment": CommentForm,
}


# --- routing and deadline rules --------------------------------------------------------------------------

class RuleForm(forms.Form):
    category = forms.ModelChoiceField(label="事项分类", queryset=Category.objects.none(), empty_label="请选择分类",
                                      help_text="选择大类时,其下各小类都按此规则分派(小类另有规则的除外)")
    division = forms.ModelChoiceField(label="适用区划", queryset=None, empty_label="请选择区划",
                                      help_text="规则适用于该区划及其下级;下级区划另有规则的,以下级为准")
    target = forms.ChoiceField(label="承办方式", choices=RoutingRule.Target.choices, widget=forms.RadioSelect,
                               initial=RoutingRule.Target.ORG)
    organisation = forms.ModelChoiceField(label="承办单位", queryset=Organisation.objects.none(), required=False,
                                          error_messages={"invalid_choice": "承办单位不存在或不在管辖范围内"})
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, divisions, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = (Category.objects.filter(active=True)
                                            .exclude(kind=CaseKind.RECTIFICATION).order_by("kind", "path"))
        self.fields["category"].label_from_instance = lambda c: (f"{category_label(c)}"
                                                                 f"({c.get_kind_display()})")
        self.fields["division"].queryset = divisions
        self.fields["division"].label_from_instance = division_label
        self.fields["organisation"].queryset = organisations

    def clean(self):
        data = super().clean()
        if data.get("target") == RoutingRule.Target.ORG and not data.get("organisation") \
                and "organisation" not in self.errors:
            self.add_error("organisation", "请选择承办单位")
        return data


class DeadlineForm(forms.Form):
    category = forms.ModelChoiceField(label="事项分类", queryset=Category.objects.none(), required=False,
                                      empty_label="默认(所有分类)")
    priority = forms.ChoiceField(label="紧急程度", choices=Priority.choices)
    accept_amount = forms.IntegerField(label="受理时限", min_value=1, max_value=365)
    accept_unit = forms.ChoiceField(label="受理时限单位", choices=Unit.choices)
    reply_amount = forms.IntegerField(label="答复时限", min_value=1, max_value=365)
    reply_unit = forms.ChoiceField(label="答复时限单位", choices=Unit.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True).order_by("kind", "path")
        self.fields["category"].label_from_instance = lambda c: f"{category_label(c)}({c.get_kind_display()})"


# --- seminars --------------------------------------------------------------------------------------------

class SeminarForm(forms.Form):
    level = forms.ChoiceField(label="层级", choices=Seminar.Level.choices)
    title = forms.CharField(label="名称", max_length=100,
                            widget=forms.TextInput(attrs={"placeholder": "如:新就业群体座谈会"}))
    held_on = forms.DateField(label="日期", widget=_date_widget())
    place = forms.CharField(label="地点", max_length=120)
    division = forms.ModelChoiceField(label="所在区划", queryset=None, empty_label="请选择区划")
    organiser = forms.ModelChoiceField(label="组织单位", queryset=Organisation.objects.none(),
                                       error_messages={"invalid_choice": "组织单位不存在或不在管辖范围内"})
    attendee_count = forms.IntegerField(label="参会人数", min_value=1, max_value=100000)
    attendees = forms.CharField(label="参会人员(可选)", max_length=2000, required=False,
                                widget=forms.Textarea(attrs={"rows": 2, "placeholder": "单位、姓名等"}))

    def __init__(self, *args, divisions, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = divisions
        self.fields["division"].label_from_instance = division_label
        self.fields["organiser"].queryset = organisations
        self.fields["held_on"].initial = timezone.localdate()


class SeminarCaseForm(forms.Form):
    """A grievance collected at a seminar; ``client_key`` makes a double submission file it once."""

    client_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    filer_name = forms.CharField(label="反映人", max_length=50, required=False,
                                 widget=forms.TextInput(attrs={"autocomplete": "off"}))
    filer_phone = forms.CharField(label="联系电话(可选)", max_length=20, required=False,
                                  widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    category = forms.ModelChoiceField(label="分类", queryset=Category.objects.none(), empty_label="请选择分类")
    division = forms.ModelChoiceField(label="所在区划", queryset=None, empty_label="请选择区划")
    priority = forms.ChoiceField(label="紧急程度", required=False,
                                 choices=[("", "按分类默认"), *Priority.choices])
    title = forms.CharField(label="标题(可选)", max_length=TITLE_MAX, required=False,
                            help_text="不填则取内容开头")
    text = forms.CharField(label="诉求内容", max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, divisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True, kind=CaseKind.GRIEVANCE) \
            .order_by("path")
        self.fields["category"].label_from_instance = category_label
        self.fields["division"].queryset = divisions
        self.fields["division"].label_from_instance = division_label
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4().hex)


# --- duty and grid ---------------------------------------------------------------------------------------

class DutyShiftForm(forms.Form):
    organisation = forms.ModelChoiceField(label="单位", queryset=Organisation.objects.none(),
                                          error_messages={"invalid_choice": "单位不存在或不在管辖范围内"})
    user = forms.ModelChoiceField(label="值班领导", queryset=None,
                                  error_messages={"invalid_choice": "账号不存在或不在管辖范围内"})
    starts_on = forms.DateField(label="开始日期", widget=_date_widget())
    ends_on = forms.DateField(label="结束日期", widget=_date_widget())

    def __init__(self, *args, organisations, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["user"].queryset = users
        today = timezone.localdate()
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = today

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "结束日期不能早于开始日期")
        return data


class GridMemberForm(forms.Form):
    user = forms.ModelChoiceField(label="账号", queryset=None,
                                  error_messages={"invalid_choice": "账号不存在或不在管辖范围内"})
    division = forms.ModelChoiceField(label="网格/村(社区)", queryset=None, empty_label="请选择网格或村(社区)")
    role = forms.ChoiceField(label="网格角色", choices=GridMember.Role.choices, initial=GridMember.Role.SCOUT)

    def __init__(self, *args, users, divisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["division"].queryset = divisions
        self.fields["division"].label_from_instance = lambda d: f"{d.parent.name if d.parent_id else ''} {d.name}"
