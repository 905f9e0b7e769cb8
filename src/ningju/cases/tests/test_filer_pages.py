"""The filer-side pages: filing (worker, anonymous, grid member), following by query code, the worker's own
cases with rating / re-opening / comments, the notification inbox and the scoped file download."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from ningju.cases import services
from ningju.cases.models import Attachment, Case, CaseEvent, Notification
from ningju.cases.states import CaseKind, Rating, Status
from ningju.testing.factories import PersonFactory, UserFactory

from .conftest import category

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
TAIHANG, LUOZHUANG = "410882003000", "410882003002"
IN_CITY = ("35.090000", "112.950000")  # 沁阳市
BEIJING = ("39.904200", "116.407400")


def png(name: str = "现场.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (0xB7, 0x1C, 0x1C)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def case_data(code: str = "traffic-road", **extra) -> dict:
    data = {"category": str(category(code).pk), "text": "太行路与建设路口信号灯故障,骑手通行危险",
            "town": TAIHANG, "village": LUOZHUANG, "lat": "", "lng": "", "address": "太行路与建设路口",
            "client_key": uuid.uuid4().hex}
    data.update(extra)
    return data


def text_of(response) -> str:
    return response.content.decode()


def replied_case(w, case):
    t = w.user["transport"]
    case = services.case_accept(actor=t, case=case)
    case = services.case_handle(actor=t, case=case, result="已联系交警维修")
    return services.case_reply(actor=t, case=case, reply="信号灯已修复,感谢反映")


def grid_member(w, user=None):
    user = user or w.user["worker"]
    services.grid_member_set(actor=w.user["qy_org"], user=user, division=w.div["luozhuang"])
    return user


# --- pages per role -----------------------------------------------------------------------------------

def test_pages_render_per_role(routed, login, client):
    w = routed
    worker = login(w.user["worker"])
    for url in ("/cases/new/", "/cases/mine/", "/cases/notifications/", "/cases/track/", "/cases/anonymous/"):
        assert worker.get(url).status_code == 200, url
    page = text_of(worker.get("/cases/new/"))
    assert "提交诉求" in page and "劳动报酬" in page and "匿名提交" in page
    # The worker's home (清真寺社区, 覃怀街道) is the default division.
    assert re.search(r'<option value="410882001000" selected>覃怀街道</option>', page)
    assert re.search(r'<option value="410882001001" selected>清真寺社区</option>', page)
    assert 'class="bell"' in page and "我的诉求" in page
    assert worker.get("/cases/report/").status_code == 403  # not a grid member

    staff = login(w.user["qy_org"])
    assert staff.get("/cases/new/").status_code == 403
    assert staff.get("/cases/mine/").status_code == 403
    assert staff.get("/cases/notifications/").status_code == 200
    assert staff.get("/cases/report/").status_code == 403

    assert client.get("/cases/anonymous/").status_code == 200
    assert client.get("/cases/track/").status_code == 200
    assert client.get("/cases/new/").status_code == 302  # to the login page
    assert client.get("/cases/notifications/").status_code == 302


def test_village_select_follows_the_town(routed, client):
    r = client.get("/cases/new/villages/", {"town": TAIHANG}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "罗庄社区" in text_of(r) and "清真寺社区" not in text_of(r)
    r = client.get("/cases/new/villages/", {"town": "999999999999"})
    assert "请先选择乡镇" in text_of(r) and "罗庄社区" not in text_of(r)


# --- filing -------------------------------------------------------------------------------------------

def test_worker_files_once_even_when_posting_twice(routed, login):
    w = routed
    c = login(w.user["worker"])
    data = case_data(photos=[png()])
    r = c.post("/cases/new/", data)
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/mine/{case.pk}/"
    assert case.filer == w.user["worker"] and case.division == w.div["luozhuang"]
    assert case.organisation == w.org["transport"] and case.attachments.count() == 1
    page = text_of(c.get(r["Location"]))
    assert f"诉求已提交,编号 {case.number}" in page

    again = dict(data, photos=[png()])
    r = c.post("/cases/new/", again)
    assert r.status_code == 302 and r["Location"] == f"/cases/mine/{case.pk}/"
    assert Case.objects.count() == 1 and Attachment.objects.count() == 1
    assert "已经提交过" in text_of(c.get(r["Location"]))
    assert case.number in text_of(c.get("/cases/mine/"))


def test_non_image_photo_is_refused_and_nothing_is_filed(routed, login):
    c = login(routed.user["worker"])
    fake = SimpleUploadedFile("现场.jpg", "这是一段文字,不是图片。".encode() * 10, content_type="image/jpeg")
    r = c.post("/cases/new/", case_data(photos=[fake]))
    assert r.status_code == 400
    assert "照片的扩展名或类型声称是图片,但内容不是JPEG、PNG或WebP格式的图片" in text_of(r)
    assert not Case.objects.exists()


def test_more_than_six_photos_are_refused(routed, login):
    c = login(routed.user["worker"])
    r = c.post("/cases/new/", case_data(photos=[png(f"{n}.png") for n in range(7)]))
    assert r.status_code == 400 and "一次最多上传6张照片" in text_of(r)
    assert not Case.objects.exists()


def test_coordinates_outside_the_city_are_refused(routed, login):
    c = login(routed.user["worker"])
    lat, lng = BEIJING
    r = c.post("/cases/new/", case_data(lat=lat, lng=lng))
    assert r.status_code == 400 and "位置不在本市范围内" in text_of(r)
    assert not Case.objects.exists()
    lat, lng = IN_CITY
    r = c.post("/cases/new/", case_data(lat=lat, lng=lng))
    assert r.status_code == 302
    assert str(Case.objects.get().lat) == lat


def test_missing_fields_and_a_village_of_another_town_are_refused(routed, login):
    c = login(routed.user["worker"])
    r = c.post("/cases/new/", case_data(text="", category=""))
    assert r.status_code == 400 and "请填写具体内容" in text_of(r) and "请选择分类" in text_of(r)
    r = c.post("/cases/new/", case_data(village="410882001001"))  # 清真寺社区 is in 覃怀街道
    assert r.status_code == 400 and "不属于所选乡镇" in text_of(r)
    r = c.post("/cases/new/", case_data(category=str(category("star-archives").pk)))  # not public
    assert r.status_code == 400 and "分类不存在或已停用" in text_of(r)
    assert not Case.objects.exists()


def test_worker_files_anonymously_and_sees_the_code_once(routed, login):
    w = routed
    c = login(w.user["worker"])
    r = c.post("/cases/new/", case_data(anonymous="on"))
    assert r.status_code == 302 and r["Location"] == "/cases/filed/"
    case = Case.objects.get()
    assert case.filer is None and case.anonymous and case.query_code_hash
    page = text_of(c.get("/cases/filed/"))
    code = re.search(r'id="filed-code">([A-Z0-9]+)<', page).group(1)
    assert case.number in page and "查询码只显示这一次" in page
    again = text_of(c.get("/cases/filed/"))
    assert code not in again and case.number not in again
    assert case.number not in text_of(c.get("/cases/mine/"))


# --- anonymous filing and following ---------------------------------------------------------------------

def test_anonymous_filing_gives_a_code_that_works_on_track(routed, client):
    w = routed
    r = client.post("/cases/anonymous/", case_data(contact_name="王师傅", contact_phone="13912345678",
                                                   photos=[png()]))
    assert r.status_code == 302 and r["Location"] == "/cases/filed/"
    case = Case.objects.get()
    assert case.source == "anonymous" and case.filer is None and case.filer_name == "王师傅"
    page = text_of(client.get("/cases/filed/"))
    code = re.search(r'id="filed-code">([A-Z0-9]+)<', page).group(1)
    assert code not in text_of(client.get("/cases/filed/"))  # never again

    other = Client()
    r = other.post("/cases/track/", {"number": case.number.lower(), "code": code.lower()})
    assert r.status_code == 302 and r["Location"] == f"/cases/track/{case.pk}/"
    page = text_of(other.get(r["Location"]))
    assert case.number in page and "太行路与建设路口信号灯故障" in page and "待受理" in page
    att = case.attachments.get()
    assert other.get(f"/cases/attachment/{att.pk}/").status_code == 200
    assert Client().get(f"/cases/attachment/{att.pk}/").status_code == 404
    assert Client().get(f"/cases/track/{case.pk}/").status_code == 302  # no proof in that session
    assert w.org["transport"] == case.organisation


def test_wrong_code_and_missing_case_get_the_same_answer(routed, client):
    filed = services.case_file(actor=None, kind=CaseKind.GRIEVANCE, category=category("traffic-road"),
                               text="路灯不亮", division=routed.div["luozhuang"], anonymous=True)
    wrong = client.post("/cases/track/", {"number": filed.case.number, "code": "WRONGCODE2"})
    missing = client.post("/cases/track/", {"number": "SQ20260101999999", "code": filed.query_code})
    garbage = client.post("/cases/track/", {"number": "hello", "code": "x"})
    assert wrong.status_code == missing.status_code == garbage.status_code == 404

    def message(r):
        return re.search(r'id="track-error">([^<]*)<', text_of(r)).group(1)
    assert message(wrong) == message(missing) == message(garbage)
    assert "未找到该事项" in message(wrong)
    assert filed.case.number not in text_of(wrong).replace(f'value="{filed.case.number}"', "")


def test_failed_lookups_are_rate_limited(routed, client, settings):
    settings.NINGJU_CASE_TRACK_RATE = "3/h"
    for _ in range(3):
        assert client.post("/cases/track/", {"number": "SQ20260101999999", "code": "ABCDEFGHJK"}).status_code == 404
    r = client.post("/cases/track/", {"number": "SQ20260101999999", "code": "ABCDEFGHJK"})
    assert r.status_code == 429 and "查询失败次数太多" in text_of(r)


def test_anonymous_filing_is_rate_limited(routed, client, settings):
    settings.NINGJU_ANON_CASE_RATE = "2/h"
    for n in range(2):
        assert client.post("/cases/anonymous/", case_data(text=f"第{n}条诉求")).status_code == 302
    r = client.post("/cases/anonymous/", case_data(text="第三条诉求"))
    assert r.status_code == 429 and "提交太频繁了" in text_of(r)
    assert Case.objects.count() == 2
    # A refused form does not use up the allowance; another address is not limited.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post("/cases/anonymous/", case_data(text="")).status_code == 400
    assert other.post("/cases/anonymous/", case_data(text="另一处的诉求")).status_code == 302
    assert Case.objects.count() == 3


# --- escaping -----------------------------------------------------------------------------------------

def test_script_in_text_is_escaped_on_every_page(routed, login):
    w = routed
    c = login(w.user["worker"])
    c.post("/cases/new/", case_data(text=SCRIPT + " 信号灯坏了", address=SCRIPT))
    case = Case.objects.get()
    case = replied_case(w, case)
    services.case_comment(actor=w.user["transport"], case=case, comment=SCRIPT)
    pages = [c.get("/cases/mine/"), c.get(f"/cases/mine/{case.pk}/"), c.get("/cases/notifications/")]

    anon = Client()
    anon.post("/cases/anonymous/", case_data(text=SCRIPT))
    anon_case = Case.objects.exclude(pk=case.pk).get()
    code = re.search(r'id="filed-code">([A-Z0-9]+)<', text_of(anon.get("/cases/filed/"))).group(1)
    anon.post("/cases/track/", {"number": anon_case.number, "code": code})
    pages.append(anon.get(f"/cases/track/{anon_case.pk}/"))
    # A refused form shows the text back, escaped.
    pages.append(c.post("/cases/new/", case_data(text=SCRIPT, category="")))
    for r in pages:
        html = text_of(r)
        assert SCRIPT not in html, r.request["PATH_INFO"]
    assert ESCAPED in text_of(pages[1]) and ESCAPED in text_of(pages[3]) and ESCAPED in text_of(pages[4])


# --- the filer's actions ------------------------------------------------------------------------------

def test_filer_rates_once_and_a_second_rating_is_refused(routed, login):
    w = routed
    c = login(w.user["worker"])
    c.post("/cases/new/", case_data())
    case = replied_case(w, Case.objects.get())
    url = f"/cases/mine/{case.pk}/"
    page = text_of(c.get(url))
    assert "评价办理结果" in page and "信号灯已修复" in page
    form = {"action": "rate", "rate-version": str(case.version), "rate-rating": Rating.UNSATISFIED,
            "rate-comment": ""}
    r = c.post(url, form)
    assert r.status_code == 400 and "请写明不满意的原因" in text_of(r)
    r = c.post(url, dict(form, **{"rate-rating": Rating.BASIC}))
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.rating == Rating.BASIC
    assert "感谢您的评价" in text_of(c.get(url))

    r = c.post(url, dict(form, **{"rate-rating": Rating.SATISFIED}), follow=True)  # the same page sent again
    assert "已被他人处理" in text_of(r) and "当前状态:已办结" in text_of(r)
    r = c.post(url, dict(form, **{"rate-rating": Rating.SATISFIED, "rate-version": str(case.version)}), follow=True)
    assert "已评价,不能重复评价" in text_of(r)
    case.refresh_from_db()
    assert case.rating == Rating.BASIC and CaseEvent.objects.filter(case=case, action="rate").count() == 1


def test_unsatisfied_filer_reopens_once_and_comments_with_a_photo(routed, login):
    w = routed
    c = login(w.user["worker"])
    c.post("/cases/new/", case_data())
    case = replied_case(w, Case.objects.get())
    url = f"/cases/mine/{case.pk}/"
    c.post(url, {"action": "rate", "rate-version": case.version, "rate-rating": Rating.UNSATISFIED,
                 "rate-comment": "信号灯还是坏的"})
    case.refresh_from_db()
    assert case.status == Status.CLOSED and "申请重新办理" in text_of(c.get(url))
    r = c.post(url, {"action": "reopen", "reopen-version": case.version, "reopen-reason": "晚上依然不亮"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.reopen_count == 1
    r = c.post(url, {"action": "note", "note-comment": "补充一张夜间照片", "note-photos": [png()]})
    assert r.status_code == 302
    ev = CaseEvent.objects.filter(case=case, action="comment").last()
    assert ev.comment == "补充一张夜间照片" and ev.attachments.count() == 1
    page = text_of(c.get(url))
    assert f"/cases/attachment/{ev.attachments.get().pk}/" in page
    assert c.get(f"/cases/attachment/{ev.attachments.get().pk}/").status_code == 200


def test_track_page_holder_rates_with_the_code(routed, client):
    w = routed
    filed = services.case_file(actor=None, kind=CaseKind.GRIEVANCE, category=category("traffic-road"),
                               text="路灯不亮", division=w.div["luozhuang"], anonymous=True)
    case = replied_case(w, filed.case)
    client.post("/cases/track/", {"number": case.number, "code": filed.query_code})
    url = f"/cases/track/{case.pk}/"
    assert "评价办理结果" in text_of(client.get(url))
    r = client.post(url, {"action": "rate", "rate-version": case.version, "rate-rating": Rating.SATISFIED})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.rating == Rating.SATISFIED


def test_someone_elses_case_is_404(routed, login):
    w = routed
    c = login(w.user["worker"])
    c.post("/cases/new/", case_data(photos=[png()]))
    case = Case.objects.get()
    other = UserFactory(role="worker", person=PersonFactory(home_division=w.div["zhongma"]))
    o = login(other)
    assert o.get(f"/cases/mine/{case.pk}/").status_code == 404
    assert o.post(f"/cases/mine/{case.pk}/", {"action": "note", "note-comment": "x"}).status_code == 404
    assert o.get(f"/cases/attachment/{case.attachments.get().pk}/").status_code == 404
    # Staff who may see the case get its files too.
    r = login(w.user["transport"]).get(f"/cases/attachment/{case.attachments.get().pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "image/png" and r["X-Content-Type-Options"] == "nosniff"
    assert "private" in r["Cache-Control"]


# --- incident reports ---------------------------------------------------------------------------------

def test_grid_member_reports_an_emergency_and_is_told_leaders_were_notified(routed, login):
    w = routed
    member = grid_member(w)
    today = timezone.localdate()
    services.duty_shift_create(actor=w.user["qy_org"], organisation=w.org["qy_org"], user=w.user["qy_org"],
                               starts_on=today, ends_on=today)
    c = login(member)
    page = text_of(c.get("/cases/report/"))
    assert "突发事件直报" in page and "交通事故" in page
    assert re.search(rf'<option value="{LUOZHUANG}" selected>罗庄社区</option>', page)  # the member's grid
    data = case_data("emergency-traffic", text="太行路口两车相撞,有人受伤")
    r = c.post("/cases/report/", data)
    assert r.status_code == 400 and "突发事件请在地图上标出位置" in text_of(r)
    lat, lng = IN_CITY
    r = c.post("/cases/report/", dict(data, lat=lat, lng=lng))
    case = Case.objects.get()
    assert r.status_code == 302 and case.kind == CaseKind.INCIDENT and case.priority == "emergency"
    page = text_of(c.get(r["Location"]))
    assert "突发事件已上报" in page and "已即时通知值班领导1人" in page
    assert Notification.objects.filter(user=w.user["qy_org"], kind="emergency", case=case).exists()


def test_grid_member_reports_an_ordinary_incident_without_position(routed, login):
    c = login(grid_member(routed))
    r = c.post("/cases/report/", case_data("warning-hazard", text="井盖缺失"))
    assert r.status_code == 302 and "事件已上报" in text_of(c.get(r["Location"]))
    assert Case.objects.get().kind == CaseKind.INCIDENT


# --- notifications ------------------------------------------------------------------------------------

def test_notifications_list_open_and_mark_all_read(routed, login):
    w = routed
    c = login(w.user["worker"])
    c.post("/cases/new/", case_data())
    case = replied_case(w, Case.objects.get())
    mine = Notification.objects.filter(user=w.user["worker"])
    assert mine.count() == 3 and not mine.filter(read_at__isnull=False).exists()  # received, accepted, replied
    page = text_of(c.get("/cases/notifications/"))
    assert "3条未读" in page and 'id="unread-badge">3<' in page
    first = mine.order_by("created_at", "id").first()
    r = c.post(f"/cases/notifications/{first.pk}/open/")
    assert r.status_code == 302 and r["Location"] == f"/cases/mine/{case.pk}/"
    first.refresh_from_db()
    assert first.read_at is not None
    page = text_of(c.get("/cases/notifications/"))
    assert "2条未读" in page
    # Unread first.
    unread_titles = [n.title for n in mine.filter(read_at__isnull=True)]
    assert page.index(unread_titles[0]) < page.index(first.title)

    r = c.post("/cases/notifications/")
    assert r.status_code == 302 and not mine.filter(read_at__isnull=True).exists()
    assert "已将2条消息标为已读" in text_of(c.get("/cases/notifications/"))

    # Someone else's notification cannot be opened; staff open theirs to the staff case page.
    staff = login(w.user["transport"])
    assert staff.post(f"/cases/notifications/{first.pk}/open/").status_code == 404
    theirs = Notification.objects.filter(user=w.user["transport"], case=case).first()
    r = staff.post(f"/cases/notifications/{theirs.pk}/open/")
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/"
