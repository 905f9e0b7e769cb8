from django.core.management.base import BaseCommand

from ningju.points.services.declarations import post_due


class Command(BaseCommand):
    help = "公示期满且无异议的积分申报入账(可重复运行;建议每天由定时任务运行)。"

    def handle(self, *args, **options):
        self.stdout.write(f"入账 {post_due()} 条申报")
