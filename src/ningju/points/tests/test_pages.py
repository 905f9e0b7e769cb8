"""The points pages: who may open which, awards and orders counted once per form, refusals that change nothing,
reversals, the declaration → review → publicity → objection → resolution loop, published boards without a login,
and the keeper's pickup-code check."""

import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from ningju.people.models import PoliticalStatus
from ningju.points.models import Account, BoardPublication, Declaration, Entry, Household, Item, Order
from ningju.points.services import ledger, shop
from ningju.testing.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"points:{name}", args=args)


def key() -> str:
    return uuid.uuid4().hex


def msgs(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def give(w, n, rule="clean", times=1):
    return ledger.award(actor=w.user["sec"], account=w.acct[n], rule=w.rule[rule], occurred_on=timezone.localdate(),
                        times=times, idempotency_key=key())


def balance(w, n) -> int:
    return Account.objects.get(pk=w.acct[n].pk).balance


@pytest.fixture
def soap(zhongma):
    return shop.item_save(actor=zhongma.user["keeper"], shop=zhongma.shop, name="洗衣粉", price=10, stock=2,
                          unit="袋")


# --- who may open what ---------------------------------------------------------------------------------

STAFF_PAGES = ["home", "rules", "households", "declarations", "publicity", "boards"]


def test_staff_pages_render_for_the_village_secretary_and_read_only_roles(zhongma, login):
    w = zhongma
    give(w, 1)
    sec = login(w.user["sec"])
    for name in [*STAFF_PAGES, "award", "shop_manage", "rulebook_new"]:
        assert sec.get(url(name)).status_code == 200, name
    page = sec.get(url("account", w.acct[1].pk))
    assert page.status_code == 200 and "马建国户" in page.content.decode() and "庭院整洁" in page.content.decode()
    assert sec.get(url("rule_new", w.rule["clean"].rulebook_id)).status_code == 200
    assert sec.get(url("rule_edit", w.rule["clean"].pk)).status_code == 200

    district = login(w.user["sy_org"])  # 山阳区委组织部 reads points in its territory, manages nothing
    for name in STAFF_PAGES:
        assert district.get(url(name)).status_code == 200, name
    assert district.get(url("account", w.acct[1].pk)).status_code == 200
    for name in ["award", "rulebook_new"]:
        assert district.get(url(name)).status_code == 403, name
    assert f'action="{url("publish")}"' not in district.get(url("boards")).content.decode()


def test_villager_home_shows_own_balance_and_shortcuts_not_staff_figures(zhongma, login):
    w = zhongma
    give(w, 1, times=2)  # 庭院整洁 5 × 2
    give(w, 2)
    page = login(w.user["villager1"]).get("/").content.decode()
    assert 'id="my-points"' in page and 'id="home-stats"' not in page
    assert ">10<" in page and "马建国户" in page and "李秀英" not in page
    for name in ["mine", "shop", "declare", "publicity"]:
        assert f'href="{url(name)}"' in page


def test_villager_pages_and_refusals_by_role(zhongma, login, client):
    w = zhongma
    villager = login(w.user["villager1"])
    for name in ["mine", "declare", "shop", "publicity"]:
        assert villager.get(url(name)).status_code == 200, name
    for name in ["home", "award", "rules", "boards", "declarations"]:
        assert villager.get(url(name)).status_code == 403, name
    assert villager.get(url("account", w.acct[1].pk)).status_code == 403
    assert villager.get(url("shop_manage")).status_code == 403

    sec = login(w.user["sec"])
    assert sec.get(url("mine")).status_code == 403
    assert sec.get(url("shop")).status_code == 403
    assert login(w.user["station"]).get(url("home")).status_code == 403

    worker = login(w.user["worker"])  # a worker without an account
    assert "还没有积分账户" in worker.get(url("mine")).content.decode()

    assert client.get(url("home")).status_code == 302  # to the login page
    nav = villager.get(url("mine")).content.decode()
    assert "我的积分" in nav and "积分管理" not in nav


def test_a_secretary_of_another_village_gets_404_for_zhongma(zhongma, login):
    w = zhongma
    entry = give(w, 1)
    other = login(w.user["village"])  # 罗庄社区 (沁阳市) village secretary
    assert other.get(url("home")).status_code == 200
    assert "马建国户" not in other.get(url("home")).content.decode()
    assert other.get(url("account", w.acct[1].pk)).status_code == 404
    assert other.post(url("reverse", entry.pk), {"reason": "错"}).status_code == 404
    assert other.post(url("account_link", w.acct[1].pk), {"user": ""}).status_code == 404
    assert other.post(url("fulfil", w.shop.pk), {"pickup_code": "123456"}).status_code == 404
    assert Entry.objects.count() == 1


# --- awarding --------------------------------------------------------------------------------------------

def test_award_through_the_page_counts_once_per_form_key(zhongma, login):
    w = zhongma
    sec = login(w.user["sec"])
    form = sec.get(url("award") + f"?account={w.acct[1].pk}").content.decode()
    form_key = re.search(r'name="key" value="([0-9a-f]{32})"', form).group(1)
    assert f'value="{w.acct[1].pk}" checked' in form
    data = {"accounts": [w.acct[1].pk], "rule": w.rule["clean"].pk, "occurred_on": timezone.localdate().isoformat(),
            "times": 1, "reason": "", "key": form_key}
    first = sec.post(url("award"), data, follow=True)
    assert first.redirect_chain[-1][0] == url("account", w.acct[1].pk)
    assert "已记分1户" in msgs(first)
    again = sec.post(url("award"), data, follow=True)
    assert "没有重复记分" in msgs(again)
    assert Entry.objects.filter(account=w.acct[1]).count() == 1 and balance(w, 1) == 5

    both = {**data, "accounts": [w.acct[1].pk, w.acct[2].pk], "rule": w.rule["filial"].pk, "key": key()}
    sec.post(url("award"), both)
    sec.post(url("award"), both)
    assert Entry.objects.filter(rule=w.rule["filial"]).count() == 2
    assert balance(w, 1) == 15 and balance(w, 2) == 10


def test_award_refusals_show_on_the_form_and_a_resubmit_awards_only_the_rest(zhongma, login):
    w = zhongma
    sec = login(w.user["sec"])
    data = {"accounts": [w.acct[1].pk], "rule": w.rule["clean"].pk, "occurred_on": timezone.localdate().isoformat(),
            "times": 5, "key": key()}
    refused = sec.post(url("award"), data)
    assert refused.status_code == 400 and "超出上限" in refused.content.decode()
    assert Entry.objects.count() == 0
    litter = {**data, "rule": w.rule["litter"].pk, "times": 1, "key": key()}
    poor = sec.post(url("award"), litter)  # a deduction from an empty account: 余额不足
    assert poor.status_code == 400 and "积分余额不足" in poor.content.decode()
    assert sec.post(url("award"), {**data, "key": "not-a-key"}).status_code == 400
    assert Entry.objects.count() == 0


# --- reversals -------------------------------------------------------------------------------------------

def test_reversal_through_the_page_and_a_reversal_is_not_reversed(zhongma, login):
    w = zhongma
    entry = give(w, 1, "filial")
    sec = login(w.user["sec"])
    no_reason = sec.post(url("reverse", entry.pk), {"reason": ""}, follow=True)
    assert "请填写冲正原因" in msgs(no_reason) and balance(w, 1) == 10
    done = sec.post(url("reverse", entry.pk), {"reason": "记错户"}, follow=True)
    assert "已冲正" in msgs(done) and balance(w, 1) == 0
    rev = Entry.objects.get(reverses=entry)
    page = done.content.decode()
    assert f'href="#entry-{rev.pk}"' in page and f'href="#entry-{entry.pk}"' in page
    assert f'action="{url("reverse", rev.pk)}"' not in page  # no reversal form on a reversal
    refused = sec.post(url("reverse", rev.pk), {"reason": "再冲"}, follow=True)
    assert "冲正记录不能再冲正" in msgs(refused)
    twice = sec.post(url("reverse", entry.pk), {"reason": "再来"}, follow=True)
    assert "已冲正" in msgs(twice) and "该记录已冲正" in msgs(twice)
    assert Entry.objects.count() == 2 and balance(w, 1) == 0
    assert login(w.user["sy_org"]).post(url("reverse", entry.pk), {"reason": "x"}).status_code == 403


# --- declarations ----------------------------------------------------------------------------------------

def test_declaration_review_publicity_objection_and_resolution(zhongma, login):
    w = zhongma
    villager = login(w.user["villager1"])
    form = villager.get(url("declare")).content.decode()
    assert "孝老爱亲事迹" in form and "乱堆乱放" not in form  # only declarable rules
    day = timezone.localdate().isoformat()
    bad = villager.post(url("declare"), {"account": w.acct[1].pk, "rule": w.rule["filial"].pk, "occurred_on": day,
                                         "times": 1, "note": ""})
    assert bad.status_code == 400 and "请填写申报说明" in bad.content.decode()
    sent = villager.post(url("declare"), {"account": w.acct[1].pk, "rule": w.rule["filial"].pk, "occurred_on": day,
                                          "times": 1, "note": "照顾邻居<b>王奶奶</b>一个月"}, follow=True)
    assert "已提交申报" in msgs(sent)
    d = Declaration.objects.get()

    sec = login(w.user["sec"])
    queue = sec.get(url("declarations")).content.decode()
    assert f'action="{url("review", d.pk)}"' in queue
    assert "&lt;b&gt;王奶奶&lt;/b&gt;" in queue and "<b>王奶奶" not in queue  # user text is escaped
    no_reason = sec.post(url("review", d.pk), {"decision": "reject", "comment": ""}, follow=True)
    assert "不通过请写明原因" in msgs(no_reason)
    approved = sec.post(url("review", d.pk), {"decision": "approve", "comment": "属实"}, follow=True)
    assert "进入公示" in msgs(approved)
    d.refresh_from_db()
    assert d.status == Declaration.Status.PUBLICITY

    neighbour = login(w.user["villager2"])  # another household of 中马村 sees it and objects
    shown = neighbour.get(url("publicity")).content.decode()
    assert "中马村" in shown and "孝老爱亲事迹" in shown and f'action="{url("object", d.pk)}"' in shown
    outsider = login(UserFactory(phone="13720000099", role="villager"))  # no account in 中马村
    assert "孝老爱亲事迹" not in outsider.get(url("publicity")).content.decode()
    assert outsider.post(url("object", d.pk), {"text": "不实"}).status_code == 404
    objected = neighbour.post(url("object", d.pk), {"text": "只去过两次"}, follow=True)
    assert "已提交异议" in msgs(objected)
    d.refresh_from_db()
    assert d.status == Declaration.Status.OBJECTED
    assert "只去过两次" not in objected.content.decode()  # objections are shown to staff only

    staff_view = sec.get(url("declarations") + "?status=objected").content.decode()
    assert "只去过两次" in staff_view and f'action="{url("resolve", d.pk)}"' in staff_view
    assert login(w.user["sy_org"]).post(url("resolve", d.pk), {"decision": "post", "comment": "x"}).status_code == 403
    resolved = sec.post(url("resolve", d.pk), {"decision": "post", "comment": "经核实属实"}, follow=True)
    assert "已入账" in msgs(resolved)
    d.refresh_from_db()
    assert d.status == Declaration.Status.POSTED and balance(w, 1) == 10
    mine = villager.get(url("mine")).content.decode()
    assert "已入账" in mine and "孝老爱亲事迹(申报)" in mine


# --- boards ----------------------------------------------------------------------------------------------

def test_published_red_black_board_opens_without_login_with_masked_names(zhongma, login, client):
    w = zhongma
    give(w, 1, "filial")
    give(w, 2, "filial")
    ledger.award(actor=w.user["sec"], account=w.acct[2], rule=w.rule["litter"], occurred_on=timezone.localdate(),
                 idempotency_key=key())
    period = f"{timezone.localdate():%Y-%m}"
    sec = login(w.user["sec"])
    board = sec.get(url("boards") + f"?org={w.org['zhongma'].pk}&period={period}").content.decode()
    assert "ZM001 马*国" in board and "ZM002 李*英" in board and "马建国" not in board
    published = sec.post(url("publish"), {"organisation": w.org["zhongma"].pk, "kind": "red_black",
                                          "period": period}, follow=True)
    pub = BoardPublication.objects.get()
    assert published.redirect_chain[-1][0] == url("publication", pub.pk)
    page = published.content.decode()
    assert url("published", pub.token) in page and url("publication_qr", pub.pk) in page
    qr = sec.get(url("publication_qr", pub.pk))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    assert sec.get(url("publication_qr", pub.pk) + "?format=png").content[:8] == b"\x89PNG\r\n\x1a\n"

    public = client.get(url("published", pub.token))  # no login
    text = public.content.decode()
    assert public.status_code == 200 and "红黑榜" in text and "中马村党支部" in text
    assert "ZM001 马*国" in text and "ZM002 李*英" in text and "马建国" not in text and "李秀英" not in text
    assert client.get(url("published", "no-such-token")).status_code == 404
    assert login(w.user["village"]).get(url("publication", pub.pk)).status_code == 404
    assert login(w.user["sy_org"]).post(url("publish"), {"organisation": w.org["zhongma"].pk, "kind": "members",
                                                         "period": period}).status_code == 403


def test_members_board_publish_of_a_bad_period_is_refused(zhongma, login):
    w = zhongma
    sec = login(w.user["sec"])
    refused = sec.post(url("publish"), {"organisation": w.org["zhongma"].pk, "kind": "members", "period": "2026-13"},
                       follow=True)
    assert "周期应为" in msgs(refused) and not BoardPublication.objects.exists()
    sec.post(url("publish"), {"organisation": w.org["zhongma"].pk, "kind": "members", "period": "2026"})
    assert BoardPublication.objects.get().kind == "members"


# --- the shop --------------------------------------------------------------------------------------------

def _order(client, item, *, quantity=1, client_key=None):
    return client.post(url("order"), {"item": item.pk, "quantity": quantity, "key": client_key or key()}, follow=True)


def test_order_through_the_page_counts_once_per_form_key_and_shows_the_pickup_code(zhongma, soap, login):
    w = zhongma
    give(w, 1, "filial")
    give(w, 1, "filial")
    villager = login(w.user["villager1"])
    page = villager.get(url("shop")).content.decode()
    assert "洗衣粉" in page and "10分/袋" in page
    form_key = re.search(r'name="key" value="([0-9a-f]{32})"', page).group(1)
    first = _order(villager, soap, client_key=form_key)
    order = Order.objects.get()
    assert "兑换成功" in msgs(first) and order.pickup_code in msgs(first)
    assert f'data-pickup-code>{order.pickup_code}<' in first.content.decode()
    again = _order(villager, soap, client_key=form_key)
    assert "没有重复兑换" in msgs(again)
    assert Order.objects.count() == 1 and balance(w, 1) == 10 and Item.objects.get(pk=soap.pk).stock == 1

    cancelled = villager.post(url("order_cancel", order.pk), follow=True)
    assert "已取消兑换" in msgs(cancelled) and balance(w, 1) == 20 and Item.objects.get(pk=soap.pk).stock == 2
    assert login(w.user["villager2"]).post(url("order_cancel", order.pk)).status_code == 404


def test_items_beyond_the_balance_show_not_enough_points_instead_of_an_order_form(zhongma, soap, login):
    w = zhongma
    give(w, 1)  # 5 points; 洗衣粉 costs 10
    page = login(w.user["villager1"]).get(url("shop")).content.decode()
    assert "洗衣粉" in page and "积分不足" in page and f'name="item" value="{soap.pk}"' not in page
    give(w, 1, "filial")
    page = login(w.user["villager1"]).get(url("shop")).content.decode()
    assert "积分不足" not in page and f'name="item" value="{soap.pk}"' in page


def test_out_of_stock_and_not_enough_points_are_messages_and_change_nothing(zhongma, soap, login):
    w = zhongma
    give(w, 1, "filial")
    give(w, 1, "filial")
    villager = login(w.user["villager1"])
    no_stock = _order(villager, soap, quantity=3)
    assert "库存不足" in msgs(no_stock)
    poor = login(w.user["villager2"])
    no_points = _order(poor, soap)
    assert "积分余额不足" in msgs(no_points)
    assert not Order.objects.exists() and Item.objects.get(pk=soap.pk).stock == 2
    assert balance(w, 1) == 20 and balance(w, 2) == 0
    assert not Entry.objects.filter(kind="redeem").exists()


def test_the_keeper_verifies_a_pickup_code(zhongma, soap, login):
    w = zhongma
    give(w, 1, "filial")
    _order(login(w.user["villager1"]), soap)
    order = Order.objects.get()
    keeper = login(w.user["keeper"])
    manage = keeper.get(url("shop_manage")).content.decode()
    assert 'inputmode="numeric"' in manage and "马建国户" in manage and order.pickup_code not in manage
    wrong = keeper.post(url("fulfil", w.shop.pk), {"pickup_code": "000000" if order.pickup_code != "000000"
                                                   else "111111"}, follow=True)
    assert "取货码不正确" in msgs(wrong)
    sec = login(w.user["sec"])  # a points manager who is not the shop's keeper may not hand over goods
    assert sec.post(url("fulfil", w.shop.pk), {"pickup_code": order.pickup_code}).status_code == 403
    done = keeper.post(url("fulfil", w.shop.pk), {"pickup_code": order.pickup_code}, follow=True)
    assert "核销成功" in msgs(done) and "洗衣粉×1袋" in msgs(done)
    order.refresh_from_db()
    assert order.status == Order.Status.FULFILLED and order.fulfilled_by == w.user["keeper"]
    twice = keeper.post(url("fulfil", w.shop.pk), {"pickup_code": order.pickup_code}, follow=True)
    assert "取货码不正确" in msgs(twice)
    picked = login(w.user["villager1"]).get(url("shop")).content.decode()
    assert "已领取" in picked and "data-pickup-code" not in picked


def test_a_villager_keeper_reaches_the_shop_page_and_items_are_kept_there(zhongma, login):
    w = zhongma
    shopkeeper = UserFactory(phone="13720000088", role="villager")
    w.shop.keepers.add(shopkeeper)
    client = login(shopkeeper)
    assert client.get(url("shop_manage")).status_code == 200
    added = client.post(url("item_new", w.shop.pk), {"name": "食用油", "price": 50, "stock": 5, "unit": "桶",
                                                     "active": "on"}, follow=True)
    assert "已保存商品" in msgs(added)
    item = Item.objects.get(name="食用油")
    client.post(url("item_edit", item.pk), {"name": "食用油", "price": 45, "stock": 8, "unit": "桶", "active": "on"})
    item.refresh_from_db()
    assert (item.price, item.stock) == (45, 8)
    bad = client.post(url("item_new", w.shop.pk), {"name": "", "price": 0, "stock": -1, "unit": "件"})
    assert bad.status_code == 400 and "请填写商品名称" in bad.content.decode()
    assert login(w.user["villager1"]).get(url("item_new", w.shop.pk)).status_code == 403


# --- rules, households, accounts, logins -----------------------------------------------------------------

def test_rules_households_accounts_and_linking_a_login(zhongma, login):
    w = zhongma
    sec = login(w.user["sec"])
    book = w.rule["clean"].rulebook
    added = sec.post(url("rule_new", book.pk), {"category": "volunteer", "name": "参加义务劳动", "points": 3,
                                                "cap": 12, "cap_period": "month", "declarable": "on",
                                                "active": "on"}, follow=True)
    assert "已保存细则" in msgs(added) and "参加义务劳动" in added.content.decode()
    dup = sec.post(url("rule_new", book.pk), {"category": "volunteer", "name": "参加义务劳动", "points": 3,
                                              "cap_period": "month"})
    assert dup.status_code == 400 and "已有同名细则" in dup.content.decode()
    assert sec.post(url("rulebook_new"), {"organisation": w.org["zhongma"].pk, "name": "重复",
                                          "applies_to": "household", "publicity_workdays": 3}).status_code == 400

    registered = sec.post(url("household_new"), {"hh-village": w.div["zhongma"].pk, "hh-number": "ZM003",
                                                 "hh-head_name": "张<i>三</i>", "hh-members": 4}, follow=True)
    assert "已登记农户" in msgs(registered)
    household = Household.objects.get(number="ZM003")
    page = registered.content.decode()
    assert "张&lt;i&gt;三&lt;/i&gt;" in page and "张<i>三</i>" not in page
    resident = PersonFactory(name="王大庆", home_division=w.div["zhongma"], occupation="other")
    login_user = UserFactory(phone="13720000077", name="王大庆", role="villager", person=resident)
    opened = sec.post(url("open_household"), {"oh-household": household.pk, "oh-organisation": w.org["zhongma"].pk,
                                              "oh-user": login_user.pk}, follow=True)
    acc = Account.objects.get(household=household)
    assert "已开立积分账户" in msgs(opened) and acc.user == login_user
    assert opened.redirect_chain[-1][0] == url("account", acc.pk)

    member = PersonFactory(name="赵党员", home_division=w.div["zhongma"], political_status=PoliticalStatus.MEMBER,
                           occupation="other")
    households_page = sec.get(url("households")).content.decode()
    assert "赵党员" in households_page and "王大庆" in households_page  # the picker lists the resident's login
    assert resident.id_number not in households_page and login_user.phone not in households_page
    sec.post(url("open_member"), {"om-person": member.pk, "om-organisation": w.org["zhongma"].pk, "om-user": ""})
    member_acc = Account.objects.get(person=member)
    assert member_acc.kind == "member" and member_acc.user is None

    stranger = UserFactory(phone="13720000066", role="villager")  # nobody in 中马村 knows this login
    refused = sec.post(url("account_link", member_acc.pk), {"user": stranger.pk}, follow=True)
    assert "只能关联本辖区" in msgs(refused)
    linked = sec.post(url("account_link", member_acc.pk), {"user": w.user["villager2"].pk}, follow=True)
    assert "已关联登录账号" in msgs(linked)
    assert Account.objects.get(pk=member_acc.pk).user == w.user["villager2"]
    options = sec.get(url("user_options"), {"user_q": "王大"}).content.decode()
    assert "王大庆" in options and login_user.phone not in options
    assert login(w.user["villager1"]).get(url("user_options")).status_code == 403


def test_home_search_is_an_htmx_partial(zhongma, login):
    w = zhongma
    sec = login(w.user["sec"])
    partial = sec.get(url("home"), {"q": "李"}, headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert "李秀英户" in text and "马建国户" not in text and "<html" not in text
