from django.core.management.base import BaseCommand

from ningju.stars.models import Award
from ningju.stars.services import awards_settle


class Command(BaseCommand):
    help = "公示期满且无待处理异议的星级评定转为已授星(可重复运行;建议每天由定时任务运行一次)。"

    def handle(self, *args, **options):
        settled = awards_settle()
        standing = Award.objects.filter(status=Award.Status.STANDING).count()
        self.stdout.write(f"本次公示期满授星 {settled} 项,现有已授星 {standing} 项")
