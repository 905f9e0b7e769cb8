from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from ningju.coverage.rollup import differences, refresh_all


class Command(BaseCommand):
    help = "核对组织覆盖汇总与原始记录是否一致;--refresh 重新计算全部。"

    def add_arguments(self, parser):
        parser.add_argument("--refresh", action="store_true")

    def handle(self, *args, refresh=False, **options):
        if refresh:
            with Progress(transient=True) as progress:
                task = progress.add_task("重新计算覆盖汇总", total=None)
                n = refresh_all(progress=lambda done: progress.update(task, completed=done))
            self.stdout.write(f"已重新计算 {n} 个企业/站点")
        diffs = differences()
        for line in diffs[:50]:
            self.stderr.write(line)
        if diffs:
            raise CommandError(f"覆盖汇总与记录不一致:{len(diffs)} 处")
        self.stdout.write(self.style.SUCCESS("覆盖汇总与记录一致"))
