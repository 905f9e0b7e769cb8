import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from ningju.accounts import services
from ningju.testing.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "Wrong#Pass99"


def _post(client, phone, password, ip="10.1.1.1"):
    return client.post("/accounts/login/", {"username": phone, "password": password}, REMOTE_ADDR=ip)


def test_login_with_phone_and_password_lands_on_role_home(world):
    client = Client()
    response = _post(client, world.user["qy_org"].phone, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/").content.decode()
    assert "县(市、区)委组织部工作台" in home


def test_wrong_password_and_unknown_phone_get_the_same_message(world):
    client = Client()
    wrong_pw = _post(client, world.user["qy_org"].phone, WRONG).content.decode()
    unknown = _post(client, "13999999999", WRONG, ip="10.1.1.2").content.decode()
    assert "手机号或密码不正确" in wrong_pw and "手机号或密码不正确" in unknown
    assert "_auth_user_id" not in client.session


def test_account_is_locked_after_five_failures_even_with_the_right_password(world):
    user = world.user["town"]
    for i in range(settings.AXES_FAILURE_LIMIT):
        _post(Client(), user.phone, WRONG, ip=f"10.2.0.{i}")  # different addresses: lock is per account
    response = _post(Client(), user.phone, PASSWORD, ip="10.2.1.1")
    assert response.status_code == 429
    assert "暂时锁定" in response.content.decode()
    # Another account from a fresh address is not affected.
    assert _post(Client(), world.user["village"].phone, PASSWORD, ip="10.2.1.2").status_code == 302


def test_address_is_locked_after_five_failures_across_accounts(world):
    phones = [world.user[k].phone for k in ("town", "village", "station", "instructor", "supervisor")]
    for phone in phones:
        _post(Client(), phone, WRONG, ip="10.3.3.3")
    response = _post(Client(), world.user["qy_org"].phone, PASSWORD, ip="10.3.3.3")
    assert response.status_code == 429


def test_api_token_endpoint_is_guarded_by_the_same_lockout(world):
    client = Client()
    phone = world.user["station"].phone
    for _ in range(settings.AXES_FAILURE_LIMIT):
        r = client.post("/api/v1/auth/token", {"phone": phone, "password": WRONG}, content_type="application/json",
                        REMOTE_ADDR="10.4.4.4")
        assert r.status_code in (401, 429)
    r = client.post("/api/v1/auth/token", {"phone": phone, "password": PASSWORD}, content_type="application/json",
                    REMOTE_ADDR="10.4.4.5")
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "locked_out"


@pytest.mark.parametrize(("password", "ok"), [
    ("short1A", False),          # under 8 characters
    ("alllowercase", False),     # one class
    ("lowercase123", False),     # two classes
    ("Lower123case", True),      # three classes
    ("lower#123case", True),     # three classes with a symbol
    ("12345678", False),         # numeric only
])
def test_password_policy(password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_user_creation_enforces_policy_and_unique_phone(db):
    with pytest.raises(ValidationError):
        services.user_create(actor=None, phone="13600000001", name="甲", password="weakpass")
    UserFactory(phone="13600000002")
    with pytest.raises(ValidationError):
        UserFactory(phone="13600000002")


def test_session_expires_when_idle_and_at_browser_close():
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_expired_session_requires_login_again(world, login, settings):
    client = login(world.user["qy_org"])
    assert client.get("/people/").status_code == 200
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get("/people/").status_code == 302


def test_password_change_checks_old_password_and_policy(world, login):
    user = world.user["village"]
    client = login(user)
    bad = client.post("/accounts/me/password/", {"old_password": WRONG, "new_password": "New#Pass2026",
                                                 "new_password2": "New#Pass2026"})
    assert bad.status_code == 400 and "原密码不正确" in bad.content.decode()
    weak = client.post("/accounts/me/password/", {"old_password": PASSWORD, "new_password": "weakweak",
                                                  "new_password2": "weakweak"})
    assert weak.status_code == 400
    good = client.post("/accounts/me/password/", {"old_password": PASSWORD, "new_password": "New#Pass2026",
                                                  "new_password2": "New#Pass2026"})
    assert good.status_code == 302
    user.refresh_from_db()
    assert user.check_password("New#Pass2026")
