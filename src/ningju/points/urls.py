from django.urls import path

from .views import boards, mine, setup, shop, staff

app_name = "points"

urlpatterns = [
    # staff
    path("", staff.home, name="home"),
    path("account/<int:pk>/", staff.account, name="account"),
    path("account/<int:pk>/link/", setup.account_link, name="account_link"),
    path("award/", staff.award, name="award"),
    path("entry/<int:pk>/reverse/", staff.reverse_entry, name="reverse"),
    path("declarations/", staff.declarations, name="declarations"),
    path("declarations/<int:pk>/review/", staff.review, name="review"),
    path("declarations/<int:pk>/resolve/", staff.resolve, name="resolve"),
    # rulebooks, households, accounts
    path("rules/", setup.rules, name="rules"),
    path("rules/new/", setup.rulebook_edit, name="rulebook_new"),
    path("rules/<int:pk>/edit/", setup.rulebook_edit, name="rulebook_edit"),
    path("rules/<int:book>/rule/new/", setup.rule_edit, name="rule_new"),
    path("rules/rule/<int:pk>/edit/", setup.rule_edit, name="rule_edit"),
    path("households/", setup.households, name="households"),
    path("households/new/", setup.household_new, name="household_new"),
    path("households/open/", setup.open_household, name="open_household"),
    path("members/open/", setup.open_member, name="open_member"),
    path("users/options/", setup.user_options, name="user_options"),
    # boards
    path("boards/", boards.boards, name="boards"),
    path("boards/publish/", boards.publish, name="publish"),
    path("boards/<int:pk>/", boards.publication, name="publication"),
    path("boards/<int:pk>/qr/", boards.publication_qr, name="publication_qr"),
    path("board/<str:token>/", boards.published, name="published"),
    # villagers (under mine/, so the navigation marks 我的积分 on all of them)
    path("mine/", mine.mine, name="mine"),
    path("mine/declare/", mine.declare, name="declare"),
    path("mine/publicity/", mine.publicity, name="publicity"),
    path("mine/publicity/<int:pk>/object/", mine.object_to, name="object"),
    # the shop
    path("mine/shop/", shop.shop, name="shop"),
    path("mine/shop/order/", shop.order, name="order"),
    path("mine/shop/orders/<int:pk>/cancel/", shop.order_cancel, name="order_cancel"),
    path("shop/manage/", shop.shop_manage, name="shop_manage"),
    path("shop/manage/new/", shop.shop_new, name="shop_new"),
    path("shop/manage/<int:pk>/fulfil/", shop.fulfil, name="fulfil"),
    path("shop/manage/<int:shop_pk>/items/new/", shop.item_edit, name="item_new"),
    path("shop/items/<int:pk>/edit/", shop.item_edit, name="item_edit"),
]
