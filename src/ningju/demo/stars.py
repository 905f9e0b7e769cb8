"""The five-star campaign's part of the demo city: 山阳区's “五星”支部创建 and its supervision.

The source article: 山阳区 reviewed its 54 villages and communities; three supervision groups made “3组4轮次”
unannounced visits (四不两直), checking seven aspects (档案资料、创建氛围、创建计划、清洁卫生、教育培训、
工作成效、规范标牌); more than 210 problems were found, fed back and rectified (督导→整改→再督导);
上马村 and 张庄村 had a post-evaluation (后评估); 墙北村 was put under rectification; highlights were
中马村's points scheme, 工字路社区's 52 partners and neighbourhood festival, 李贵作's 铁棍山药馒头 “一村一品”,
the “创星+项目库” and the “1+10+N” livelihood projects.

Everything goes through :mod:`ningju.stars.services` and :mod:`ningju.cases.services` with explicit times:

* Supervision: the district organisation department's plan with three groups (each a leader and two members)
  and four rounds in the year before the load date. Every village/community is visited once per round by the
  group the rotation assigns. Rounds 1–3 find problems (fewer each round, 214 in all, spread over the seven
  aspects); the branch secretary accepts, handles and replies to each rectification item within the deadline,
  and the next round's visit verifies it — a few are sent back once and verified by the round after.
  **Round 4 is the acceptance round (验收)**: it checks all seven aspects, verifies every item still waiting and
  finds nothing new, so at the end every finding is rectified and verified (the case closed) without a fifth
  round. 上马村 and 张庄村 then get their post-evaluation.
* Creation: fifteen branches write plans, self-assess the items of their target stars with evidence (small
  PDFs and photos made here and cleaned by ``core.uploads.clean_upload``), the town reviews (one item returned
  and resubmitted), the district evaluates and awards: three five-star, five four-star, five three-star and two
  two-star branches. Two branches' awards are still in publicity at the load time, the rest stand after
  ``awards_settle``; 墙北村 loses a star (摘星). Six projects (创星项目 and “1+10+N” 民生实事) in every state.

Called by ``load_demo`` (:func:`load`) once the divisions, organisations and logins exist.
"""

from __future__ import annotations

import datetime as dt
import random
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from ningju.accounts import services as account_services
from ningju.cases import services as case_services
from ningju.cases.states import Status
from ningju.core import uploads
from ningju.demo.clock import WorkdayClock
from ningju.demo.names import GIVEN, SURNAMES
from ningju.geo.models import Level
from ningju.stars import services
from ningju.stars.models import Aspect, Award, Finding, PostEvaluation, Project, StandardSet, UnitKind, Visit
from ningju.stars.services.common import unit_kind_of
from ningju.stars.services.supervision import FindingSpec, GroupSpec, Verification

SHANYANG = "410811000000"
DEMO = "demo"
STANDARD_YEAR = 2026  # the year the migration seeds
PLAN_NAME = "“五星”支部创建督导"

# Village secretaries of 山阳区: 13800000101 onwards in the order of the village code; one is printed.
SECRETARY_PHONE_BASE = 13800000101
LOGINS = [
    ("13800000131", "杜卫民", "village_secretary", "village:410811008202",
     "山阳区中马村党支部书记(“五星”支部、整改事项)"),
]
SUPERVISOR_PHONES = ["13800000060", "13800000061", "13800000062", "13800000063", "13800000064", "13800000065",
                     "13800000066", "13800000067"]
TOWN_PHONE_BASE = 13800000070  # 山阳区's town secretaries (not printed)

# Findings per round (rounds 1–3; round 4 is the acceptance round) and sent back at re-inspection.
FINDINGS_PER_ROUND = [116, 64, 34, 0]
SENT_BACK_RATE = 0.05

FINDING_TEXTS = {
    Aspect.ARCHIVES: ["“三会一课”记录不完整", "主题党日活动记录缺少照片", "党员发展档案材料不齐全",
                      "组织生活会会议记录过于简单", "党费收缴台账未及时登记", "创建工作台账未分类归档"],
    Aspect.ATMOSPHERE: ["宣传氛围还不够浓厚", "主干道缺少创建宣传标语", "宣传栏内容陈旧未更新",
                        "党员群众对“五星”创建知晓率不高", "村(社区)入口缺少创建宣传牌"],
    Aspect.PLAN: ["创建计划未上墙", "创建计划目标星未细化到具体措施", "创建任务未明确责任人和时限",
                  "创建计划与实际进度不符", "倒排工期表未及时更新"],
    Aspect.SANITATION: ["党群服务中心周边有垃圾", "村内道路两侧有杂物乱堆乱放", "公厕保洁不到位",
                        "坑塘沟渠有漂浮物", "背街小巷卫生死角未清理"],
    Aspect.TRAINING: ["党员积分榜未及时更新", "党员教育培训记录不全", "应知应会内容掌握不熟",
                      "未按计划开展党员集中学习", "流动党员学习情况未跟踪"],
    Aspect.RESULTS: ["集体经济增收措施不具体", "“一村一品”产业带动效果不明显", "民生实事推进缓慢",
                     "矛盾纠纷排查台账未落实", "网格员巡查记录不全"],
    Aspect.SIGNAGE: ["党群服务中心标牌不规范", "公开栏内容未按要求更新", "功能室标识牌缺失",
                     "制度牌悬挂不规范", "“五星”创建公示牌未设置"],
}
REPLIES = {
    Aspect.ARCHIVES: "已补齐相关记录并分类归档,附整改后台账照片",
    Aspect.ATMOSPHERE: "已在主干道和党群服务中心增设宣传标语、更新宣传栏",
    Aspect.PLAN: "已细化创建计划并上墙公示,明确责任人和完成时限",
    Aspect.SANITATION: "已组织党员志愿者清理,落实网格员每日巡查保洁",
    Aspect.TRAINING: "已更新党员积分榜并补开集中学习,建立学习台账",
    Aspect.RESULTS: "已召开支委会研究具体措施,明确推进节点",
    Aspect.SIGNAGE: "已按统一样式更换标牌并重新悬挂",
}
CHECK_OK = {
    Aspect.ARCHIVES: "档案资料齐全规范", Aspect.ATMOSPHERE: "创建氛围浓厚", Aspect.PLAN: "创建计划上墙、措施具体",
    Aspect.SANITATION: "环境整洁", Aspect.TRAINING: "教育培训按计划开展", Aspect.RESULTS: "创建成效明显",
    Aspect.SIGNAGE: "标牌规范",
}
SENT_BACK = "现场查看整改不彻底,请继续整改"

# Creation: (village name, stars awarded, extra target star not reached). Stars are awarded in order.
CREATION = [
    ("中马村", 5, False), ("李贵作村", 5, False), ("工字路社区", 5, False),
    ("上马村", 4, True), ("张庄村", 4, False), ("恩村一街村", 4, True), ("宏兴社区", 4, True), ("陶源社区", 4, False),
    ("李河村", 3, True), ("寺河村", 3, False), ("文化巷社区", 3, True), ("和平街社区", 3, False), ("墙北村", 3, True),
    ("高岭村", 2, True), ("东花园社区", 2, False),
]
IN_PUBLICITY = {"张庄村", "宏兴社区"}
WITHDRAWN = ("墙北村", "集体经济年收入未达标且群众反映强烈,经区委组织部复核,列为软弱涣散村党组织整顿对象,予以摘星")
MEASURES = ("对照{year}年创建标准逐星逐项梳理短板,支部书记负总责、支委分工包星;"
            "每月召开一次创建推进会,倒排工期、挂图作战;发挥党员先锋作用,带动群众共同参与。")
PROJECTS = [
    # (village, star code, kind, name, description, budget, months, decision (True/False/None), progress)
    ("李贵作村", "industry", Project.Kind.STAR, "铁棍山药馒头“一村一品”扶持项目",
     "扩建铁棍山药馒头加工坊,注册品牌、开设线上店铺,带动脱贫户和监测户务工增收。", "36.50", 6, True, 100),
    ("中马村", "branch", Project.Kind.STAR, "“乡村积分管理”积分兑换超市",
     "建立党员和村民积分管理制度,积分可在兑换超市兑换日用品,激励群众参与人居环境整治和志愿服务。", "8.00", 8, True, 60),
    ("工字路社区", "sharing", Project.Kind.LIVELIHOOD, "同城联盟“合伙人”与邻里节",
     "招募52家同城联盟优质“合伙人”为居民提供便民服务,举办社区邻里节。", "5.20", 5, True, 100),
    ("恩华社区", "service", Project.Kind.LIVELIHOOD, "“1+N”15分钟就业服务圈",
     "依托党群服务中心设立就业服务站,联系周边企业发布岗位,为各领域就业创业群体提供公共就业服务。",
     "12.00", 10, True, 40),
    ("墙北村", "ecology", Project.Kind.STAR, "“五个一”帮扶人居环境整治项目",
     "在“五个一”合力帮扶下清理坑塘、硬化背街小巷、新建垃圾收集点。", "22.00", 7, None, 0),
    ("高岭村", "industry", Project.Kind.STAR, "村委会办公楼外立面装修",
     "对村委会办公楼外立面进行装修。", "18.00", 4, False, 0),
]
POST_EVALUATIONS = [
    ("上马村", PostEvaluation.Result.CONSOLIDATED,
     "各轮督导发现问题均已整改并经再督导核验,档案规范、氛围浓厚,整改成效巩固。"),
    ("张庄村", PostEvaluation.Result.WATCH, "问题已全部整改,清洁卫生方面仍需常态保持,纳入下一年度重点关注。"),
]
COLOURS = [(186, 40, 36), (212, 170, 60), (90, 110, 130), (120, 140, 100)]


def load(progress, *, div: dict, orgs: dict, users: dict, password: str, seed: int) -> None:
    """Write 山阳区's five-star story (see the module docstring)."""
    _Story(progress, div=div, orgs=orgs, users=users, password=password, rng=random.Random(seed)).run()


class _Story(WorkdayClock):
    def __init__(self, progress, *, div, orgs, users, password, rng):
        super().__init__()
        self.progress, self.div, self.orgs, self.rng, self.password = progress, div, orgs, rng, password
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.org_dept = users["district_org:13800000003"]  # 山阳区委组织部
        self.supervisor = users["supervisor"]  # printed login, 督导第一组
        self.year = self.today.year
        villages = sorted((d for d in div.values() if d.level == Level.VILLAGE and d.code.startswith("410811")),
                          key=lambda d: d.code)
        self.branches = [orgs[f"village:{v.code}"] for v in villages]
        self.by_name = {b.division.name: b for b in self.branches}

    def run(self) -> None:
        self._standards()
        self._accounts()
        self._supervision()
        self._creation()
        self._projects()

    # ------------------------------------------------------------------ time on working days
    def office(self, day: dt.date, n: int = 0) -> dt.datetime:
        """A time in office hours on the ``n``-th working day from ``day``."""
        return self.at(self.workday(day, n), self.rng.choice((9, 10, 11, 14, 15, 16)), self.rng.randint(0, 59))

    def days_ago(self, n: int) -> dt.date:
        return self.today - dt.timedelta(days=n)

    # ------------------------------------------------------------------ files
    def _image(self, title: str) -> Image.Image:
        img = Image.new("RGB", (480, 360), (236, 232, 224))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, 480, 60), fill=self.rng.choice(COLOURS))
        for n in range(6):
            y = 90 + n * 40
            draw.rectangle((40, y, 40 + self.rng.randint(160, 400), y + 14), fill=(150, 150, 150))
        draw.text((50, 20), title.encode("ascii", "ignore").decode() or "ningju", fill=(255, 255, 255))
        return img

    def photo(self, title: str) -> uploads.CleanFile:
        buf = BytesIO()
        self._image(title).save(buf, "JPEG", quality=75)
        return uploads.clean_upload(SimpleUploadedFile(f"{title}.jpg", buf.getvalue(), "image/jpeg"), label="照片")

    def pdf(self, title: str) -> uploads.CleanFile:
        buf = BytesIO()
        self._image(title).save(buf, "PDF")
        return uploads.clean_upload(SimpleUploadedFile(f"{title}.pdf", buf.getvalue(), "application/pdf"),
                                    allow_documents=True, label="佐证材料")

    # ------------------------------------------------------------------ standards and people
    def _standards(self) -> None:
        """The load year's published standards; copied from the latest earlier year (2026 by migration)."""
        for kind in UnitKind.values:
            current = StandardSet.objects.filter(year=self.year, unit_kind=kind).first()
            if current is None:
                source = (StandardSet.objects.filter(unit_kind=kind, year__lt=self.year).order_by("-year").first()
                          or StandardSet.objects.get(unit_kind=kind, year=STANDARD_YEAR))
                current = services.standard_copy_year(actor=self.org_dept, source=source, year=self.year)
            if not current.published:
                services.standard_publish(actor=self.org_dept, standard=current)

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))

    def _account(self, phone, role, org, name=None):
        return account_services.user_create(actor=None, phone=str(phone), name=name or self._name(),
                                            password=self.password, role=role, organisation=org, source=DEMO)

    def _accounts(self) -> None:
        t = self.progress.add_task("五星支部账号", total=len(self.branches) + len(SUPERVISOR_PHONES) + 9)
        self.secretary = {}
        printed = {phone: name for phone, name, *_ in LOGINS}
        for n, branch in enumerate(self.branches):
            phone = str(SECRETARY_PHONE_BASE + n)
            self.secretary[branch.pk] = self._account(phone, "village_secretary", branch, printed.get(phone))
            self.progress.advance(t)
        towns = sorted({b.parent for b in self.branches}, key=lambda o: o.division.code)
        self.town_secretary = {}
        for n, town in enumerate(towns):
            self.town_secretary[town.pk] = self._account(TOWN_PHONE_BASE + n, "town_secretary", town)
            self.progress.advance(t)
        phones = iter(SUPERVISOR_PHONES)
        self.groups = []
        for g in (1, 2, 3):
            org = self.orgs[f"group:{g}"]
            members = [self.supervisor] if g == 1 else []
            while len(members) < 3:
                members.append(self._account(next(phones), "supervisor", org))
                self.progress.advance(t)
            self.groups.append(GroupSpec(name=org.name.replace("山阳区“五星”支部创建", ""), organisation=org,
                                         leader=members[0], members=members[1:]))

    # ------------------------------------------------------------------ supervision
    def _supervision(self) -> None:
        starts = self.workday(self.days_ago(330))
        rounds = []
        for r in range(4):
            first = starts + dt.timedelta(days=80 * r)
            rounds.append((first, first + dt.timedelta(days=20)))
        plan = services.supervision_plan_create(
            actor=self.org_dept, name=f"{self.year}年{PLAN_NAME}", year=self.year, district=self.div[SHANYANG],
            starts_on=starts, ends_on=rounds[-1][1] + dt.timedelta(days=20), rounds=rounds, groups=self.groups,
            rectify_workdays=10)
        self.plan = plan
        members = {g.pk: list(g.members.order_by("pk")) for g in plan.groups.all()}
        counts = self._finding_counts()
        t = self.progress.add_task("督导走访", total=len(self.branches) * len(rounds))
        for r, rnd in enumerate(plan.rounds.order_by("number")):
            visits = list(Visit.objects.filter(round=rnd).select_related("group", "unit").order_by("group", "unit"))
            slot: dict[int, int] = {}
            for visit in visits:
                n = slot[visit.group_id] = slot.get(visit.group_id, -1) + 1
                day = self.workday(rnd.starts_on, n // 2)
                at = self.at(day, 9 if n % 2 == 0 else 14, self.rng.randint(0, 50))
                actor = members[visit.group_id][n % len(members[visit.group_id])]
                self._visit(visit, actor, at, counts[r].get(visit.unit_id, 0), last=r == len(rounds) - 1)
                self.progress.advance(t)
        self._post_evaluations(plan, rounds[-1][1])

    def _finding_counts(self) -> list[dict[int, int]]:
        """How many problems each unit shows in each round (seeded; the totals are FINDINGS_PER_ROUND)."""
        out = []
        for total in FINDINGS_PER_ROUND:
            counts = {b.pk: total // len(self.branches) for b in self.branches}
            for b in self.rng.sample(self.branches, total % len(self.branches)):
                counts[b.pk] += 1
            out.append(counts)
        return out

    def _visit(self, visit: Visit, actor, at: dt.datetime, n_findings: int, *, last: bool) -> None:
        aspects = self.rng.sample(list(Aspect), n_findings)
        findings = [FindingSpec(aspect=a, text=self.rng.choice(FINDING_TEXTS[a]),
                                photos=[self.photo("finding")] if self.rng.random() < 0.1 else [])
                    for a in aspects]
        checks = {a.value: (a not in aspects, "发现问题,已当场反馈" if a in aspects else CHECK_OK[a]) for a in Aspect}
        waiting = Finding.objects.filter(plan=visit.round.plan, unit=visit.unit, case_status=Status.REPLIED)
        verifications = [
            Verification(finding_id=f.pk, done=True, comment="现场核验,整改到位")
            if last or f.case.reopen_count or self.rng.random() >= SENT_BACK_RATE
            else Verification(finding_id=f.pk, done=False, comment=SENT_BACK)
            for f in waiting.select_related("case").order_by("pk")]
        notes = "采取“四不两直”方式,查阅档案资料、实地查看,对照七个方面逐项检查"
        notes += ",前期问题整改到位,验收通过。" if last else f",发现问题{n_findings}项,当场反馈。"
        services.visit_record(actor=actor, visit=visit, checks=checks, findings=findings, verifications=verifications,
                              notes=notes, at=at)
        for f in Finding.objects.filter(visit=visit).select_related("case"):
            self._rectify(f.case, at, f.aspect)
        for v in verifications:
            if not v.done:
                self._rectify(Finding.objects.get(pk=v.finding_id).case, at, None)

    def _rectify(self, case, found_at: dt.datetime, aspect: str | None) -> None:
        """The branch secretary accepts, handles and replies within the rectification period."""
        sec = case.owner
        local = timezone.localtime(found_at, self.tz)
        if local.hour < 12:
            accepted = self.at(local.date(), self.rng.randint(15, 17), self.rng.randint(0, 59))
        else:
            accepted = self.at(self.workday(local.date(), 1), 8, self.rng.randint(30, 90))
        case = case_services.case_accept(actor=sec, case=case, at=accepted, comment="收到,立即组织整改")
        done_day = timezone.localtime(accepted, self.tz).date()
        handled = self.office(done_day, self.rng.randint(1, 6))
        result = REPLIES[aspect] if aspect else "已按督导组意见重新整改到位"
        case = case_services.case_handle(actor=sec, case=case, result=result, at=handled)
        evidence = [self.photo("rectified")] if self.rng.random() < 0.15 else []
        case_services.case_reply(actor=sec, case=case, reply=result, attachments=evidence,
                                 at=handled + dt.timedelta(minutes=self.rng.randint(20, 90)))

    def _post_evaluations(self, plan, last_round_end: dt.date) -> None:
        for name, result, comment in POST_EVALUATIONS:
            services.post_evaluate(actor=self.org_dept, plan=plan, unit=self.by_name[name], result=result,
                                   comment=comment, at=self.office(last_round_end, 8))

    # ------------------------------------------------------------------ creation and awarding
    def _creation(self) -> None:
        t = self.progress.add_task("“五星”创建评定", total=len(CREATION))
        plan_day, assess_day = self.days_ago(300), self.days_ago(110)
        settled_day, recent_at = self.days_ago(60), self.at(self.cal.workday_on_or_after(self.days_ago(3)), 10)
        recent_at = min(recent_at, self.now - dt.timedelta(hours=1))
        returned_once = False
        for name, stars_won, extra in CREATION:
            branch = self.by_name[name]
            sec = self.secretary[branch.pk]
            town = self.town_secretary[branch.parent_id]
            standard = StandardSet.objects.get(year=self.year, unit_kind=unit_kind_of(branch), published=True)
            stars = list(standard.stars.order_by("order"))
            targets = stars[:stars_won + (1 if extra and stars_won < len(stars) else 0)]
            plan = services.plan_save(actor=sec, branch=branch, year=self.year, targets=targets, submit=True,
                                      measures=MEASURES.format(year=self.year), at=self.office(plan_day))
            recent = name in IN_PUBLICITY
            base = self.days_ago(25) if recent else assess_day
            for s_idx, star in enumerate(targets):
                failing = s_idx >= stars_won
                items = list(star.items.order_by("order"))
                fail_item = next((i for i in items if i.required), None) if failing else None
                for item in items:
                    submitted = self.office(base, self.rng.randint(0, 5))
                    files = [self.pdf(f"item{item.pk}") if self.rng.random() < 0.5 else self.photo(f"item{item.pk}")]
                    score = self.rng.randint(7, 10) if item.mode == "score" else None
                    a = services.assessment_submit(actor=sec, plan=plan, item=item, claim_met=True, claim_score=score,
                                                   note=f"对照“{item.text}”逐项落实,佐证材料:{item.evidence}",
                                                   files=files, at=submitted)
                    reviewed = self.office(timezone.localtime(submitted, self.tz).date(), 2)
                    if not returned_once:
                        returned_once = True
                        a = services.assessment_review(actor=town, assessment=a, approve=False, at=reviewed,
                                                       comment="佐证材料不清晰,请补充会议记录原件照片")
                        submitted = self.office(timezone.localtime(reviewed, self.tz).date(), 1)
                        a = services.assessment_submit(actor=sec, plan=plan, item=item, claim_met=True,
                                                       claim_score=score, note=a.note, files=[self.photo("again")],
                                                       at=submitted)
                        reviewed = self.office(timezone.localtime(submitted, self.tz).date(), 1)
                    a = services.assessment_review(actor=town, assessment=a, approve=True, at=reviewed,
                                                   comment="材料齐全,同意上报")
                    evaluated = self.office(timezone.localtime(reviewed, self.tz).date(), 3)
                    if item == fail_item:
                        met, d_score, comment = False, (4 if score is not None else None), "现场核查未达到标准"
                    else:
                        met, d_score, comment = True, score, "经核查达标"
                    services.assessment_evaluate(actor=self.org_dept, assessment=a, met=met, score=d_score,
                                                 comment=comment, at=evaluated)
            award_at = recent_at if recent else self.office(settled_day)
            for star in targets[:stars_won]:
                services.award_star(actor=self.org_dept, plan=plan, star=star, at=award_at)
            self.progress.advance(t)
        services.awards_settle(now=self.now)
        name, reason = WITHDRAWN
        award = (Award.objects.filter(branch=self.by_name[name], year=self.year, status=Award.Status.STANDING)
                 .order_by("-star__order").first())
        services.award_withdraw(actor=self.org_dept, award=award, reason=reason, at=self.office(self.days_ago(20)))

    # ------------------------------------------------------------------ projects
    def _projects(self) -> None:
        for name, code, kind, title, description, budget, months, decision, progress in PROJECTS:
            branch = self.by_name[name]
            sec = self.secretary[branch.pk]
            star = StandardSet.objects.get(year=self.year, unit_kind=unit_kind_of(branch)).stars.get(code=code)
            proposed = self.office(self.days_ago(200 if decision is not None else 10))
            planned_end = timezone.localtime(proposed, self.tz).date() + dt.timedelta(days=30 * months)
            p = services.project_propose(actor=sec, branch=branch, star=star, kind=kind, name=title, budget=budget,
                                         description=description, planned_end=planned_end, at=proposed)
            if decision is None:
                continue
            decided = self.office(timezone.localtime(proposed, self.tz).date(), 5)
            comment = "同意立项,纳入区级创星项目库" if decision else "不属于创星项目支持范围,建议通过村级自有资金解决"
            p = services.project_decide(actor=self.org_dept, project=p, approve=decision, comment=comment, at=decided)
            if not decision:
                continue
            steps = [s for s in (30, 60, 100) if s <= progress] or []
            if progress and progress not in steps:
                steps.append(progress)
            for n, step in enumerate(sorted(steps), start=1):
                note = "项目已完工并投入使用" if step == 100 else f"按计划推进,已完成{step}%"
                p = services.project_progress(actor=sec, project=p, progress=step, note=note,
                                              at=self.office(timezone.localtime(decided, self.tz).date(), 25 * n))
