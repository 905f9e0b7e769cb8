"""Forms of the supervision pages (督导→整改→再督导). They shape the input; the rules stay in
:mod:`ningju.stars.services.supervision`, whose refusals the views show on these forms.

* Plan creation: the plan's own fields, then a fixed number of group rows (``g-0`` … ``g-4``) and round rows
  (``r-0`` … ``r-5``); blank rows are ignored. A group row's leader and members are picked from the logins of
  the supervision-group organisation chosen in that row (the list follows the choice through htmx).
* Visit record: the seven-aspect checklist, finding rows (``f-0`` …, aspect, text, photos cleaned by
  ``core.uploads``), and a 通过 / 未通过 choice for each earlier finding the branch has replied to.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from ningju.cases.forms_filer import PhotosField
from ningju.cases.states import COMMENT_MAX
from ningju.geo.models import Division, Level
from ningju.orgs.models import Kind, Organisation

from .models import Aspect, PostEvaluation

MAX_GROUPS = 5
MAX_ROUNDS = 6
MAX_FINDINGS = 20
ROW_KEY = re.compile(r"f-(\d{1,3})-aspect")


def _date_widget():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _blank(form: forms.Form) -> bool:
    """A row the user left untouched (nothing typed, nothing chosen, no file)."""
    for name in form.fields:
        key = form.add_prefix(name)
        values = form.data.getlist(key) if hasattr(form.data, "getlist") else [form.data.get(key)]
        if any(str(v).strip() for v in values if v is not None):
            return False
        files = form.files.getlist(key) if hasattr(form.files, "getlist") else [form.files.get(key)]
        if any(files):
            return False
    return True


# --- plan creation -------------------------------------------------------------------------------------

def supervision_groups(user):
    """The supervision-group organisations the user may pick."""
    return (Organisation.objects.visible_to(user).filter(kind=Kind.SUPERVISION_GROUP, is_active=True)
            .select_related("division").order_by("path"))


def group_users(organisation: Organisation | None):
    """The active logins of a supervision-group organisation (and of organisations under it)."""
    User = get_user_model()
    if organisation is None:
        return User.objects.none()
    return (User.objects.filter(is_active=True, organisation__path__startswith=organisation.path)
            .order_by("name", "pk"))


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name or obj.phone


class UsersChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name or obj.phone


class PlanForm(forms.Form):
    name = forms.CharField(label="计划名称", max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": "如:2026年“五星”支部创建督导"}))
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    district = forms.ModelChoiceField(label="督导区县", queryset=Division.objects.none(), empty_label="请选择区县")
    starts_on = forms.DateField(label="开始日期", widget=_date_widget())
    ends_on = forms.DateField(label="结束日期", widget=_date_widget())
    rectify_workdays = forms.IntegerField(label="整改期限(工作日)", min_value=1, max_value=60, initial=10,
                                          help_text="发现问题后,支部须在此期限内整改并答复(按工作日计算,节假日顺延)")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        counties = Division.objects.visible_to(user).filter(level=Level.COUNTY).order_by("code")
        self.fields["district"].queryset = counties
        if not self.is_bound:
            self.fields["year"].initial = timezone.localdate().year
            own = getattr(getattr(user, "organisation", None), "division", None)
            if own is not None and own.level == Level.COUNTY:
                self.fields["district"].initial = own.pk
            elif counties.count() == 1:
                self.fields["district"].initial = counties.first().pk


class GroupRowForm(forms.Form):
    name = forms.CharField(label="组名", max_length=50, required=False,
                           widget=forms.TextInput(attrs={"placeholder": "如:第一组"}))
    organisation = forms.ModelChoiceField(label="督导组(组织)", queryset=Organisation.objects.none(), required=False,
                                          empty_label="请选择督导组")
    leader = UserChoice(label="组长", queryset=get_user_model().objects.none(), required=False,
                        empty_label="请选择组长")
    members = UsersChoice(label="成员", queryset=get_user_model().objects.none(), required=False,
                          widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = supervision_groups(user)
        self.fields["organisation"].queryset = orgs
        self.chosen = None
        raw = self.data.get(self.add_prefix("organisation")) if self.is_bound else self.initial.get("organisation")
        if raw and str(raw).isdigit():
            self.chosen = orgs.filter(pk=int(raw)).first()
        people = group_users(self.chosen)
        self.fields["leader"].queryset = people
        self.fields["members"].queryset = people
        self.fields["leader"].empty_label = "请选择组长" if self.chosen else "请先选择督导组"

    @property
    def is_blank(self) -> bool:
        return self.is_bound and _blank(self)

    def clean(self):
        data = super().clean()
        if self.is_blank:
            return data
        if not data.get("name") or not data.get("organisation") or not data.get("leader"):
            raise forms.ValidationError("请填写组名,选择督导组和组长(不用的行请留空)")
        return data


class RoundRowForm(forms.Form):
    starts_on = forms.DateField(label="开始日期", required=False, widget=_date_widget())
    ends_on = forms.DateField(label="结束日期", required=False, widget=_date_widget())

    @property
    def is_blank(self) -> bool:
        return self.is_bound and _blank(self)

    def clean(self):
        data = super().clean()
        if not self.is_blank and (not data.get("starts_on") or not data.get("ends_on")):
            raise forms.ValidationError("请填写该轮的开始和结束日期(不用的行请留空)")
        return data


def group_rows(user, data=None) -> list[GroupRowForm]:
    return [GroupRowForm(data, user=user, prefix=f"g-{i}") for i in range(MAX_GROUPS)]


def round_rows(data=None) -> list[RoundRowForm]:
    return [RoundRowForm(data, prefix=f"r-{i}") for i in range(MAX_ROUNDS)]


# --- the visit -----------------------------------------------------------------------------------------

CHECK_CHOICES = [("ok", "无问题"), ("problem", "有问题")]
VERIFY_CHOICES = [("pass", "通过(整改到位,销号)"), ("fail", "未通过(退回重新整改)")]


class VisitForm(forms.Form):
    """The checklist (one radio and a note per aspect), the verifications and the notes. The aspects left
    unanswered are left out of ``checks``, so the service names them in its refusal."""

    notes = forms.CharField(label="督导情况", required=False, max_length=3000,
                            widget=forms.Textarea(attrs={"rows": 3, "placeholder": "现场督导的总体情况(可选)"}))

    def __init__(self, *args, replied=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.aspects = []
        for value, label in Aspect.choices:
            self.fields[f"check_{value}"] = forms.ChoiceField(label=label, choices=CHECK_CHOICES, required=False,
                                                              widget=forms.RadioSelect)
            self.fields[f"note_{value}"] = forms.CharField(
                label=f"{label}情况", required=False, max_length=300,
                widget=forms.TextInput(attrs={"placeholder": "情况说明(可选)"}))
            self.aspects.append((value, label))
        self.replied = list(replied)
        for f in self.replied:
            self.fields[f"verify_{f.pk}"] = forms.ChoiceField(label="核验结果", choices=VERIFY_CHOICES, required=False,
                                                              widget=forms.RadioSelect)
            self.fields[f"verify_comment_{f.pk}"] = forms.CharField(
                label="核验意见", required=False, max_length=COMMENT_MAX,
                widget=forms.TextInput(attrs={"placeholder": "未通过时写明还差什么"}))

    def checklist(self):
        """(aspect label, radio field, note field) for the template."""
        return [(label, self[f"check_{value}"], self[f"note_{value}"]) for value, label in self.aspects]

    def verification_rows(self):
        return [(f, self[f"verify_{f.pk}"], self[f"verify_comment_{f.pk}"]) for f in self.replied]

    def checks(self) -> dict[str, tuple[bool, str]]:
        out = {}
        for value, _ in self.aspects:
            answer = self.cleaned_data.get(f"check_{value}")
            if answer:
                out[value] = (answer == "ok", self.cleaned_data.get(f"note_{value}", ""))
        return out

    def verifications(self) -> list[tuple[int, bool, str]]:
        out = []
        for f in self.replied:
            answer = self.cleaned_data.get(f"verify_{f.pk}")
            if answer:
                out.append((f.pk, answer == "pass", self.cleaned_data.get(f"verify_comment_{f.pk}", "")))
        return out


class FindingRowForm(forms.Form):
    """One problem found. The aspect is not required here: the service refuses a finding without one, with
    the one message every door shows."""

    aspect = forms.ChoiceField(label="所属方面", required=False, choices=[("", "请选择所属方面"), *Aspect.choices])
    text = forms.CharField(label="问题描述", required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2, "placeholder": "发现的问题,如:创建计划未上墙"}))
    photos = PhotosField(label="现场照片(可选)")

    @property
    def is_blank(self) -> bool:
        return self.is_bound and _blank(self)


def finding_rows(data=None, files=None, count: int = 1) -> list[FindingRowForm]:
    count = max(1, min(MAX_FINDINGS, count))
    return [FindingRowForm(data, files, prefix=f"f-{i}") for i in range(count)]


def finding_row_count(data) -> int:
    """How many finding rows the page has: every row posts its aspect select (``f-<n>-aspect``), blank or not."""
    indexes = [int(m.group(1)) for key in data.keys() if (m := ROW_KEY.fullmatch(key))]
    return max(1, min(MAX_FINDINGS, max(indexes, default=0) + 1))


# --- post-evaluation and the findings filter -----------------------------------------------------------

class PostEvaluationForm(forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(label="评估结论", choices=PostEvaluation.Result.choices)
    comment = forms.CharField(label="评估意见", max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2, "placeholder": "整改成效、是否反弹等"}))


STATE_CHOICES = [("open", "整改中"), ("replied", "已整改待核验"), ("closed", "已核验销号")]


def state_of(case_status: str) -> tuple[str, str]:
    """The finding's state in the supervision loop, from its rectification item's status."""
    if case_status == "closed":
        return "closed", "已核验销号"
    if case_status == "replied":
        return "replied", "已整改待核验"
    return "open", "整改中"

