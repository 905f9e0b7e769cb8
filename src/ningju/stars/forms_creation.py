"""Forms of the creation pages (standards, plans, self-assessment, review, evaluation, awards, projects).

They check the shape of the input and clean uploaded evidence (``core.uploads``); the rules (who may act,
which state allows what, the evidence an item needs) are decided by :mod:`ningju.stars.services`.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from ningju.core import uploads
from ningju.core.forms import textarea_field

from .models import Project, StandardItem
from .services.creation import MAX_EVIDENCE

EVIDENCE_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"
EVIDENCE_HELP = (f"JPEG、PNG、WebP图片(每张不超过{uploads.MAX_IMAGE_BYTES // uploads.MB}MB)或PDF文档"
                 f"(不超过{uploads.MAX_DOCUMENT_BYTES // uploads.MB}MB),每个条目最多{MAX_EVIDENCE}个文件;"
                 "图片上传前会去除拍摄位置等隐私信息")
YES_NO = [("1", "是"), ("0", "否")]


def _radio(label: str, choices, *, initial=None):
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, initial=initial)


class MultipleEvidenceInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Evidence files under one name, each checked by its content and cleaned (``core.uploads``): a list of
    ``CleanFile``s, empty when none was chosen (whether the item needs any is the service's rule)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "佐证材料")
        kwargs.setdefault("help_text", EVIDENCE_HELP)
        kwargs.setdefault("widget", MultipleEvidenceInput(attrs={"accept": EVIDENCE_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_EVIDENCE:
            raise ValidationError(f"一次最多上传{MAX_EVIDENCE}个佐证文件(当前选择了{len(files)}个)")
        cleaned, errors = [], []
        for n, upload in enumerate(files, start=1):
            label = f"第{n}个佐证材料" if len(files) > 1 else "佐证材料"
            try:
                cleaned.append(uploads.clean_upload(upload, allow_documents=True, label=label))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


# --- standards -------------------------------------------------------------------------------------------

class CopyYearForm(forms.Form):
    year = forms.IntegerField(label="沿用到年度", min_value=2000, max_value=2100)


class ItemForm(forms.Form):
    order = forms.IntegerField(label="序号", min_value=0, max_value=999, initial=0)
    text = textarea_field("标准内容", max_length=300, rows=2)
    mode = forms.ChoiceField(label="计分方式", choices=StandardItem.Mode.choices, initial=StandardItem.Mode.PASS)
    max_score = forms.IntegerField(label="满分", min_value=0, max_value=1000, initial=10)
    pass_score = forms.IntegerField(label="达标分", min_value=0, max_value=1000, initial=6,
                                    help_text="计分制条目得分不低于此分即达标")
    required = forms.BooleanField(label="必达项(未达标不得评星)", required=False, initial=True)
    evidence = forms.CharField(label="佐证材料要求", max_length=300, required=False,
                               help_text="支部自评达标时须上传的材料,如“会议记录、照片”;不填则不要求上传")
    min_files = forms.IntegerField(label="至少上传佐证文件数", min_value=0, max_value=MAX_EVIDENCE, initial=1)

    def clean(self):
        data = super().clean()
        if data.get("pass_score") is not None and data.get("max_score") is not None \
                and data["pass_score"] > data["max_score"]:
            self.add_error("pass_score", "达标分不能高于满分")
        return data


# --- plan and assessments --------------------------------------------------------------------------------

class PlanForm(forms.Form):
    targets = forms.ModelMultipleChoiceField(label="目标星", queryset=None, widget=forms.CheckboxSelectMultiple,
                                             error_messages={"required": "请至少选择一颗目标星"})
    measures = textarea_field("创建措施", max_length=3000, rows=6,
                                   hint="对标各星标准,写明今年的主要措施、责任人和时间安排")

    def __init__(self, *args, stars, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].queryset = stars
        self.fields["targets"].label_from_instance = lambda s: f"{s.name}({s.description})" if s.description \
            else s.name


class AssessmentForm(forms.Form):
    """A self-assessment of one item: met or not (达标制) or the score (计分制), a note, evidence files."""

    claim_met = _radio("自评结论", [("1", "达标"), ("0", "未达标")], initial="1")
    claim_score = forms.IntegerField(label="自评得分", min_value=0)
    note = textarea_field("自评说明", max_length=2000, required=False, hint="简要说明落实情况")
    files = EvidenceField()

    def __init__(self, *args, item: StandardItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        if item.mode == StandardItem.Mode.SCORE:
            del self.fields["claim_met"]
            f = self.fields["claim_score"]
            f.widget.attrs.update({"max": item.max_score, "inputmode": "numeric"})
            f.help_text = f"0至{item.max_score}分,{item.pass_score}分及以上为达标"
        else:
            del self.fields["claim_score"]
        if item.evidence:
            self.fields["files"].label = f"佐证材料(要求:{item.evidence},至少{item.min_files}个文件)"

    def clean_claim_score(self):
        score = self.cleaned_data.get("claim_score")
        if score is not None and score > self.item.max_score:
            raise ValidationError(f"自评得分应在0至{self.item.max_score}分之间")
        return score

    def claim(self) -> tuple[bool, int | None]:
        """(claim_met, claim_score) for ``services.assessment_submit``: a scored item is claimed met when its
        score reaches the item's pass score."""
        if self.item.mode == StandardItem.Mode.SCORE:
            score = self.cleaned_data["claim_score"]
            return score >= self.item.pass_score, score
        return self.cleaned_data["claim_met"] == "1", None


class ReviewForm(forms.Form):
    decision = _radio("审核意见", [("approve", "通过,报区县评定"), ("return", "退回支部修改")], initial="approve")
    comment = textarea_field("审核说明", max_length=500, required=False, rows=2, hint="退回时必须写明原因")


class EvaluateForm(forms.Form):
    met = _radio("评定结论", [("1", "达标"), ("0", "未达标")], initial="1")
    score = forms.IntegerField(label="评定得分", min_value=0)
    comment = textarea_field("评定意见", max_length=500, required=False, rows=2)

    def __init__(self, *args, item: StandardItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        if item.mode == StandardItem.Mode.SCORE:
            del self.fields["met"]
            self.fields["score"].widget.attrs.update({"max": item.max_score, "inputmode": "numeric"})
            self.fields["score"].help_text = f"0至{item.max_score}分,{item.pass_score}分及以上为达标"
        else:
            del self.fields["score"]

    def clean_score(self):
        score = self.cleaned_data.get("score")
        if score is not None and score > self.item.max_score:
            raise ValidationError(f"评定得分应在0至{self.item.max_score}分之间")
        return score

    def decision(self) -> tuple[bool, int | None]:
        if self.item.mode == StandardItem.Mode.SCORE:
            score = self.cleaned_data["score"]
            return score >= self.item.pass_score, score
        return self.cleaned_data["met"] == "1", None


# --- awards ----------------------------------------------------------------------------------------------

class ObjectionForm(forms.Form):
    text = textarea_field("异议内容", max_length=500, rows=2, hint="写明异议的事实和依据")


class DecideObjectionForm(forms.Form):
    uphold = _radio("处理结论", [("1", "异议不成立,维持评定"), ("0", "异议成立,摘星")], initial="1")
    comment = textarea_field("处理意见", max_length=500, rows=2)


class WithdrawForm(forms.Form):
    reason = textarea_field("摘星原因", max_length=300, rows=2, hint="如:发生重大安全事故、督导发现问题整改不到位")


# --- projects --------------------------------------------------------------------------------------------

class ProjectForm(forms.Form):
    star = forms.ModelChoiceField(label="对应星", queryset=None, empty_label="请选择")
    kind = forms.ChoiceField(label="类型", choices=Project.Kind.choices, initial=Project.Kind.STAR)
    name = forms.CharField(label="项目名称", max_length=100)
    description = textarea_field("项目内容", max_length=3000, rows=4, hint="建设内容、目标和带动效果")
    budget = forms.DecimalField(label="预算(万元)", required=False, min_value=0, max_digits=10, decimal_places=2)
    planned_end = forms.DateField(label="计划完成日期",
                                  widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    def __init__(self, *args, stars, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["star"].queryset = stars
        self.fields["star"].label_from_instance = lambda s: s.name


class ProjectDecideForm(forms.Form):
    decision = _radio("审批结论", [("approve", "同意立项"), ("reject", "不予立项")], initial="approve")
    comment = textarea_field("审批意见", max_length=300, required=False, rows=2, hint="不予立项时必须写明原因")


class ProjectProgressForm(forms.Form):
    progress = forms.IntegerField(label="当前进度(%)", min_value=0, max_value=100,
                                  help_text="填写100即项目完成")
    note = textarea_field("进展情况", max_length=500, rows=2)

    def __init__(self, *args, current: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields["progress"]
        f.widget.attrs.update({"min": current, "max": 100, "inputmode": "numeric"})
        f.help_text = f"不低于当前进度{current}%;填写100即项目完成"
        if not self.is_bound:
            self.initial.setdefault("progress", current)
