from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from ningju.cases.derive import differences
from ningju.cases.models import Case


class Command(BaseCommand):
    help = "核对每个事项的状态、期限、受理、答复和评价与其流转记录是否一致(三率据此计算)。"

    def handle(self, *args, **options):
        found = []
        with Progress(transient=True) as progress:
            task = progress.add_task("核对事项", total=Case.objects.count())
            for line in differences(progress=lambda done: progress.update(task, completed=done)):
                found.append(line)
        for line in found[:50]:
            self.stderr.write(line)
        if found:
            raise CommandError(f"事项与流转记录不一致:{len(found)} 处")
        self.stdout.write(self.style.SUCCESS("事项与流转记录一致"))
