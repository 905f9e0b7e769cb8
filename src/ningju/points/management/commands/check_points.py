from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from ningju.points import selectors


class Command(BaseCommand):
    help = "核对每个积分账户的余额与其流水合计、各周期汇总与流水是否一致。"

    def handle(self, *args, **options):
        with Progress(transient=True) as progress:
            task = progress.add_task("核对积分", total=2)
            problems = selectors.balance_differences()
            progress.advance(task)
            problems += selectors.total_differences()
            progress.advance(task)
        for line in problems[:50]:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"积分余额或汇总与流水不一致:{len(problems)} 处")
        self.stdout.write(self.style.SUCCESS("积分余额、汇总与流水一致"))
