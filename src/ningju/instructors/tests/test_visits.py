"""Visits (走访记录): by the assigned instructor or department staff only; dates and photos checked; photos
served only through the scoped view."""

import datetime as dt
import io
import os

import pytest
from django.utils import timezone
from PIL import Image

from ningju.core.models import AuditEntry
from ningju.instructors import services
from ningju.instructors.models import Visit

from .helpers import (
    PASSWORD,
    assign,
    instructor_login,
    is_png_bytes_picture,
    jpeg_with_gps,
    oversize_jpeg,
    png,
    register,
    text_as_jpg,
    webp,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    account = instructor_login(world)
    instructor = register(world, user=account)
    assignment = assign(world, instructor, "s2", assigned_on=dt.date(2026, 1, 5))
    return account, instructor, assignment


def _files(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def test_instructor_records_a_visit_with_photo(world, login, setup, media_root):
    account, instructor, assignment = setup
    client = login(account, PASSWORD)
    url = f"/instructors/assignments/{assignment.pk}/visit/"
    form = client.get(url).content.decode()
    assert "记录走访:外卖覃怀站" in form and 'enctype="multipart/form-data"' in form

    response = client.post(url, {"visited_on": "2026-01-20", "notes": "了解骑手诉求,指导建立学习制度。",
                                 "photo": png("骑手之家.png")})
    assert response.status_code == 302 and response["Location"] == "/instructors/"
    visit = Visit.objects.get()
    assert (visit.instructor, visit.organisation, visit.visited_on) == (instructor, world.org["s2"],
                                                                        dt.date(2026, 1, 20))
    assert visit.created_by == account
    # Stored under a random name with the extension of the detected type; nothing of the upload's name.
    assert visit.photo.name.startswith("visits/") and visit.photo.name.endswith(".png")
    assert "骑手之家" not in visit.photo.name
    assert AuditEntry.objects.filter(action="instructors.visit.created", object_id=str(visit.pk),
                                     actor=account).exists()

    mine = client.get("/instructors/").content.decode()
    assert "了解骑手诉求" in mine and "2026-01-20" in mine
    photo_url = f"/instructors/visits/{visit.pk}/photo/"
    assert photo_url in mine
    photo = client.get(photo_url)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert is_png_bytes_picture(b"".join(photo.streaming_content))
    # The upload directory is not served as such.
    assert client.get(f"/media/{visit.photo.name}").status_code == 404

    # The list shows the last visit date and the number of active assignments.
    listing = login(world.user["qy_org"]).get("/instructors/").content.decode()
    assert "2026-01-20" in listing


def test_staff_records_a_visit_for_an_instructor(world, login, setup):
    _, instructor, assignment = setup
    client = login(world.user["qy_org"])
    detail = client.get(f"/instructors/{instructor.pk}/").content.decode()
    assert f"/instructors/assignments/{assignment.pk}/visit/" in detail
    response = client.post(f"/instructors/assignments/{assignment.pk}/visit/",
                           {"visited_on": "2026-02-02", "notes": "随同指导员走访站点。", "photo": webp()})
    assert response.status_code == 302 and response["Location"] == f"/instructors/{instructor.pk}/"
    visit = Visit.objects.get()
    assert visit.created_by == world.user["qy_org"] and visit.photo.name.endswith(".webp")
    assert client.get(f"/instructors/visits/{visit.pk}/photo/")["Content-Type"] == "image/webp"


def test_photo_is_stored_without_the_phones_gps_position(world, login, setup):
    account, _, assignment = setup
    client = login(account, PASSWORD)
    response = client.post(f"/instructors/assignments/{assignment.pk}/visit/",
                           {"visited_on": "2026-01-20", "notes": "现场拍照。", "photo": jpeg_with_gps()})
    assert response.status_code == 302
    visit = Visit.objects.get()
    served = b"".join(client.get(f"/instructors/visits/{visit.pk}/photo/").streaming_content)
    with visit.photo.open("rb") as stored:
        assert stored.read() == served
    image = Image.open(io.BytesIO(served))
    assert image.format == "JPEG" and image.size == (8, 6)
    assert len(image.getexif()) == 0 and b"HUAWEI" not in served and b"Exif" not in served


def test_other_users_cannot_record_visits(world, login, setup):
    _, _, assignment = setup
    url = f"/instructors/assignments/{assignment.pk}/visit/"
    data = {"visited_on": "2026-02-02", "notes": "冒名走访"}
    # Another instructor of the same department sees the assignment but may not record for it: 403.
    colleague = instructor_login(world)
    register(world, name="另一位", user=colleague)
    assert login(colleague, PASSWORD).get(url).status_code == 403
    assert login(colleague, PASSWORD).post(url, data).status_code == 403
    # An instructor of another district does not even see it: 404.
    stranger = instructor_login(world, org="sy_org")
    assert login(stranger, PASSWORD).post(url, data).status_code == 404
    # Roles that may read instructors but not manage them: 403 or 404, by scope.
    assert login(world.user["city_org"]).get(url).status_code == 200  # city department staff may
    assert login(world.user["town"]).post(url, data).status_code == 404  # S2 is not in 太行街道
    assert login(world.user["sy_org"]).post(url, data).status_code == 404
    assert login(world.user["station"]).post(url, data).status_code == 403  # no instructors module
    assert not Visit.objects.exists()
    # The service itself refuses, whatever the entry point.
    with pytest.raises(Exception, match="只有被选派的指导员本人或组织部门工作人员可以记录走访"):
        services.visit_create(actor=world.user["transport"], instructor=assignment.instructor,
                              organisation=world.org["s2"], visited_on=dt.date(2026, 2, 2), notes="x")


def test_industry_department_with_visible_assignment_gets_403(world, login):
    instructor = register(world)
    assignment = assign(world, instructor, "s1")
    client = login(world.user["transport"])
    assert client.get(f"/instructors/{instructor.pk}/").status_code == 200
    assert client.get(f"/instructors/assignments/{assignment.pk}/visit/").status_code == 403


def test_instructor_cannot_record_for_a_unit_not_assigned(world, setup):
    account, instructor, _ = setup
    with pytest.raises(Exception, match="未被选派到该企业/站点"):
        services.visit_create(actor=account, instructor=instructor, organisation=world.org["s1"],
                              visited_on=dt.date(2026, 2, 2), notes="未选派的站点")
    assert not Visit.objects.exists()


def test_visit_after_assignment_ended_is_refused(world, login, setup):
    account, instructor, assignment = setup
    services.assignment_end(actor=world.user["qy_org"], assignment=assignment)
    client = login(account, PASSWORD)
    response = client.post(f"/instructors/assignments/{assignment.pk}/visit/",
                           {"visited_on": "2026-02-02", "notes": "结束后走访"})
    assert response.status_code == 302
    assert not Visit.objects.exists()
    with pytest.raises(Exception, match="未被选派"):
        services.visit_create(actor=account, instructor=instructor, organisation=world.org["s2"],
                              visited_on=dt.date(2026, 2, 2), notes="结束后走访")


@pytest.mark.parametrize(("data", "message"), [
    ({"visited_on": "2999-01-01", "notes": "未来"}, "走访日期不能晚于今天"),
    ({"visited_on": "2026-01-01", "notes": "选派前"}, "走访日期不能早于选派日期(2026-01-05)"),
    ({"visited_on": "2026-01-20", "notes": ""}, "这个字段是必填项"),
    ({"visited_on": "2026-01-20", "notes": "   "}, "这个字段是必填项"),
    ({"visited_on": "2026-01-20", "notes": "图片", "photo": "text"}, "JPEG、PNG或WebP"),
    ({"visited_on": "2026-01-20", "notes": "图片", "photo": "big"}, "照片不能超过5MB"),
])
def test_bad_visit_is_refused_and_writes_nothing(world, login, setup, media_root, data, message):
    account, _, assignment = setup
    if data.get("photo") == "text":
        data["photo"] = text_as_jpg()
    elif data.get("photo") == "big":
        data["photo"] = oversize_jpeg()
    audit_before = AuditEntry.objects.count()
    response = login(account, PASSWORD).post(f"/instructors/assignments/{assignment.pk}/visit/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Visit.objects.exists()
    assert AuditEntry.objects.count() == audit_before
    assert _files(media_root) == []


def test_future_date_refused_by_the_service(world, setup):
    account, instructor, _ = setup
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(Exception, match="走访日期不能晚于今天"):
        services.visit_create(actor=account, instructor=instructor, organisation=world.org["s2"],
                              visited_on=tomorrow, notes="明天")
    services.visit_create(actor=account, instructor=instructor, organisation=world.org["s2"],
                          visited_on=timezone.localdate(), notes="今天")
    assert Visit.objects.count() == 1


def test_photo_of_a_visit_outside_scope_is_404(world, login, setup):
    account, instructor, _ = setup
    visit = services.visit_create(actor=account, instructor=instructor, organisation=world.org["s2"],
                                  visited_on=dt.date(2026, 1, 20), notes="有照片", photo=png())
    url = f"/instructors/visits/{visit.pk}/photo/"
    assert login(world.user["qy_org"]).get(url).status_code == 200
    assert login(world.user["city_org"]).get(url).status_code == 200
    for role in ("sy_org", "transport", "town"):
        assert login(world.user[role]).get(url).status_code == 404, role
    assert login(world.user["station"]).get(url).status_code == 403
    # A visit without a photo has none to serve.
    plain = services.visit_create(actor=account, instructor=instructor, organisation=world.org["s2"],
                                  visited_on=dt.date(2026, 1, 21), notes="无照片")
    assert login(world.user["qy_org"]).get(f"/instructors/visits/{plain.pk}/photo/").status_code == 404


def test_instructor_keeps_seeing_own_visits_after_the_assignment_ends(world, login, setup):
    account, instructor, assignment = setup
    visit = services.visit_create(actor=account, instructor=instructor, organisation=world.org["s2"],
                                  visited_on=dt.date(2026, 1, 20), notes="历史走访", photo=png())
    services.assignment_end(actor=world.user["qy_org"], assignment=assignment)
    client = login(account, PASSWORD)
    assert "历史走访" in client.get("/instructors/").content.decode()
    assert client.get(f"/instructors/visits/{visit.pk}/photo/").status_code == 200
