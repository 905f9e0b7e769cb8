from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ningju.accounts"
    label = "accounts"
    verbose_name = "账号"
