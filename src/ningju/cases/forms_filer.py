"""Forms of the filer-side pages: filing a grievance or an incident report, following a case, rating it.

The forms only shape input (choices, lengths, the photos cleaned by ``core.uploads``); every rule of the
case engine stays in :mod:`ningju.cases.services`, whose refusals the views show on these forms.
"""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from ningju.core import uploads
from ningju.geo.models import Division, Level

from . import selectors
from .models import Category
from .states import COMMENT_MAX, MAX_ATTACHMENTS, TEXT_MAX, CaseKind, Rating

PHOTO_TYPES = "image/jpeg,image/png,image/webp"


# --- building blocks -----------------------------------------------------------------------------------

class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to ``MAX_ATTACHMENTS`` photos, each checked by its content and re-encoded (``core.uploads``)."""

    widget = MultiplePhotoInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", f"照片(可选,最多{MAX_ATTACHMENTS}张)")
        kwargs.setdefault("help_text", f"JPEG、PNG或WebP图片,每张不超过{uploads.MAX_IMAGE_BYTES // uploads.MB}MB;"
                                       "上传前会去除拍摄位置等隐私信息")
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": PHOTO_TYPES, "data-max-files": str(MAX_ATTACHMENTS)})

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError("请选择照片")
            return []
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(f"一次最多上传{MAX_ATTACHMENTS}张照片(当前选择了{len(files)}张)")
        cleaned, errors = [], []
        for n, upload in enumerate(files, start=1):
            label = f"第{n}张照片" if len(files) > 1 else "照片"
            try:
                cleaned.append(uploads.clean_upload(upload, label=label))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


def category_choices(kind: str) -> tuple[list, dict[str, Category]]:
    """Two-level choices: each top category with sub-categories becomes an option group of them; a top
    category without any is an option itself. Returns the choices and the categories by primary key."""
    cats = list(selectors.categories(kind=kind, public_only=True))
    by_pk = {str(c.pk): c for c in cats}
    children: dict[int, list[Category]] = {}
    for c in cats:
        if c.parent_id:
            children.setdefault(c.parent_id, []).append(c)
    choices: list = [("", "请选择分类")]
    for c in cats:
        if c.parent_id:
            continue
        subs = children.get(c.pk)
        if subs:
            choices.append((c.name, [(str(s.pk), s.name) for s in subs]))
        else:
            choices.append((str(c.pk), c.name))
    return choices, by_pk


def city() -> Division | None:
    """The city the platform serves (焦作市): the top division."""
    return Division.objects.filter(parent__isnull=True, level=Level.CITY).order_by("code").first()


def town_choices() -> list:
    """The towns (乡镇、街道) of the city, grouped by county (县、市、区)."""
    root = city()
    if root is None:
        return [("", "请选择乡镇(街道)")]
    rows = (Division.objects.filter(path__startswith=root.path, level__in=(Level.COUNTY, Level.TOWN))
            .only("code", "name", "level", "parent_id").order_by("path"))
    counties: dict[int, tuple[str, list]] = {}
    for d in rows:
        if d.level == Level.COUNTY:
            counties[d.pk] = (d.name, [])
        elif d.parent_id in counties:
            counties[d.parent_id][1].append((d.code, d.name))
    return [("", "请选择乡镇(街道)")] + [(name, towns) for name, towns in counties.values() if towns]


def town_by_code(code: str | None) -> Division | None:
    root = city()
    if not code or root is None:
        return None
    return Division.objects.filter(code=code, level=Level.TOWN, path__startswith=root.path).first()


def villages_of(town: Division | None):
    if town is None:
        return Division.objects.none()
    return Division.objects.filter(parent=town, level=Level.VILLAGE).order_by("code")


def village_choices(town: Division | None) -> list:
    first = ("", "(不选择,仅到乡镇/街道)" if town else "请先选择乡镇(街道)")
    return [first] + [(v.code, v.name) for v in villages_of(town)]


def division_initial(division: Division | None) -> dict:
    """Town and village fields for a default division (a grid falls back to its village)."""
    if division is None:
        return {}
    while division is not None and division.level > Level.VILLAGE:
        division = division.parent
    if division is None or division.level < Level.TOWN:
        return {}
    if division.level == Level.VILLAGE:
        return {"town": division.parent.code, "village": division.code}
    return {"town": division.code}


def new_client_key() -> str:
    return uuid.uuid4().hex


# --- filing ----------------------------------------------------------------------------------------------

class CaseForm(forms.Form):
    """What every filing door asks: category, text, where (town/village, map point, address), photos."""

    kind = CaseKind.GRIEVANCE
    category_label = "诉求分类"
    text_label = "具体内容"
    text_hint = "请写清楚发生了什么、在哪里、希望怎样解决"

    category = forms.ChoiceField(label="分类")
    text = forms.CharField(label="具体内容", max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 6}),
                           error_messages={"required": "请填写具体内容",
                                           "max_length": f"内容不能超过{TEXT_MAX}字"})
    town = forms.ChoiceField(label="所在乡镇(街道)", error_messages={"required": "请选择所在乡镇(街道)",
                                                                    "invalid_choice": "请选择本市的乡镇(街道)"})
    village = forms.ChoiceField(label="村(社区)", required=False,
                                error_messages={"invalid_choice": "该村(社区)不属于所选乡镇(街道),请重新选择"})
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    lng = forms.CharField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(label="详细地址(可选)", max_length=200, required=False,
                              widget=forms.TextInput(attrs={"placeholder": "如:太行路与建设路交叉口东50米"}),
                              error_messages={"max_length": "地址不能超过200字"})
    photos = PhotosField()
    client_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices, self._categories = category_choices(self.kind)
        f = self.fields
        f["category"].choices = choices
        f["category"].label = self.category_label
        f["category"].error_messages.update(required="请选择分类", invalid_choice="分类不存在或已停用")
        f["text"].label = self.text_label
        f["text"].widget.attrs.update({"placeholder": self.text_hint, "data-counter": str(TEXT_MAX)})
        f["town"].choices = town_choices()
        f["town"].widget.attrs.update({"hx-get": reverse("cases:villages"), "hx-target": "#village-wrap",
                                       "hx-trigger": "change", "hx-swap": "innerHTML"})
        town_code = self.data.get("town") if self.is_bound else self.initial.get("town")
        self._town = town_by_code(town_code)
        f["village"].choices = village_choices(self._town)
        if not self.is_bound and not self.initial.get("client_key"):
            self.initial["client_key"] = new_client_key()

    def clean_category(self):
        category = self._categories.get(self.cleaned_data["category"])
        if category is None:
            raise ValidationError("分类不存在或已停用")
        return category

    def clean_client_key(self):
        key = self.cleaned_data["client_key"].strip()
        try:
            return uuid.UUID(key).hex
        except ValueError:
            raise ValidationError("页面已过期,请刷新后重新提交") from None

    def clean(self):
        data = super().clean()
        town = self._town
        if "town" in data and town is None:
            self.add_error("town", "请选择本市的乡镇(街道)")
        elif town is not None:
            code = data.get("village") or ""
            if code:
                village = villages_of(town).filter(code=code).first()
                if village is None:
                    self.add_error("village", "该村(社区)不属于所选乡镇(街道),请重新选择")
                data["division"] = village
            else:
                data["division"] = town
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"kind": self.kind, "category": d["category"], "text": d["text"], "division": d.get("division"),
                "lat": d["lat"] or None, "lng": d["lng"] or None, "address": d["address"],
                "client_key": d["client_key"], "attachments": d["photos"]}


class GrievanceForm(CaseForm):
    """A logged-in worker's grievance (诉求); may be filed anonymously."""

    anonymous = forms.BooleanField(
        label="匿名提交", required=False,
        help_text="勾选后诉求不关联您的账号,处理人员看不到您的姓名和电话;提交后凭编号和查询码查询进展、评价")

    field_order = ["category", "text", "town", "village", "address", "photos", "anonymous"]


class AnonymousForm(CaseForm):
    """A grievance without an account; contact details are optional."""

    contact_name = forms.CharField(label="联系人(可选)", max_length=50, required=False,
                                   error_messages={"max_length": "联系人不能超过50字"})
    contact_phone = forms.CharField(label="联系电话(可选)", max_length=20, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
                                    help_text="留下电话便于承办单位联系您;电话加密保存,只有承办人员可见")

    field_order = ["category", "text", "town", "village", "address", "photos", "contact_name", "contact_phone"]

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {**super().service_kwargs(), "anonymous": True, "filer_name": d["contact_name"],
                "filer_phone": d["contact_phone"]}


class IncidentForm(CaseForm):
    """A grid member's incident report (事件上报); 突发事件 need a position."""

    kind = CaseKind.INCIDENT
    category_label = "事件类别"
    text_label = "事件情况"
    text_hint = "发生了什么、涉及多少人、现场情况如何"

    def clean(self):
        data = super().clean()
        category = data.get("category")
        if isinstance(category, Category) and category.is_emergency and not (data.get("lat") and data.get("lng")):
            self.add_error("lat", "突发事件请在地图上标出位置,或点“使用当前位置”")
        return data


# Service field names → form field names, for showing a refusal next to the right input.
SERVICE_FIELDS = {"division": "town", "filer_name": "contact_name", "filer_phone": "contact_phone",
                  "attachments": "photos", "lng": "lat"}


# --- following a case ------------------------------------------------------------------------------------

class TrackForm(forms.Form):
    number = forms.CharField(label="事项编号", max_length=30,
                             widget=forms.TextInput(attrs={"placeholder": "如:SQ20261125000123",
                                                           "autocapitalize": "characters", "autocomplete": "off"}),
                             error_messages={"required": "请填写事项编号"})
    code = forms.CharField(label="查询码", max_length=20,
                           widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
                           error_messages={"required": "请填写查询码"})


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RateForm(VersionedForm):
    rating = forms.ChoiceField(label="您对办理结果的评价", choices=Rating.choices, widget=forms.RadioSelect,
                               error_messages={"required": "请选择评价"})
    comment = forms.CharField(label="评价说明(选“不满意”时必填)", max_length=COMMENT_MAX, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"max_length": f"评价说明不能超过{COMMENT_MAX}字"})

    def clean(self):
        data = super().clean()
        if data.get("rating") == Rating.UNSATISFIED and not (data.get("comment") or "").strip():
            self.add_error("comment", "选择“不满意”时请写明不满意的原因")
        return data


class ReopenForm(VersionedForm):
    reason = forms.CharField(label="重新办理的理由", max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "请填写重新办理的理由",
                                             "max_length": f"理由不能超过{COMMENT_MAX}字"})


class CommentForm(forms.Form):
    comment = forms.CharField(label="补充说明", max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": "请填写补充说明",
                                              "max_length": f"补充说明不能超过{COMMENT_MAX}字"})
    photos = PhotosField()
