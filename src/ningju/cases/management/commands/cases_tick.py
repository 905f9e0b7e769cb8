from django.core.management.base import BaseCommand

from ningju.cases.services import tick


class Command(BaseCommand):
    help = "发送临期提醒、对超期事项发出督办(可重复运行;建议每10分钟由定时任务运行一次)。"

    def handle(self, *args, **options):
        result = tick()
        self.stdout.write(f"临期提醒 {result.reminded} 件,新发督办 {result.supervised} 件")
