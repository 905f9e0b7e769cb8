from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ningju.coverage.services import member_records_import
from ningju.geo.models import Division


class Command(BaseCommand):
    help = "导入党员信息库(.xlsx 或 .csv;列:姓名、身份证号、党员类别、组织关系所在、入党日期)。有任何错误则不导入。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="文件路径(.xlsx 或 .csv)")
        parser.add_argument("--division", required=True, help="登记地区的区划代码,如 410882000000")

    def handle(self, *args, file, division, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在:{file}")
        div = Division.objects.filter(code=division).first()
        if div is None:
            raise CommandError(f"区划代码不存在:{division}")
        console = Console(file=self.stdout, highlight=False)
        with Progress(TextColumn("[bold]导入党员信息"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as progress:
            task = progress.add_task("import", total=None)

            def report(done, total):
                progress.update(task, completed=done, total=total)

            result = member_records_import(actor=None, division=div, file_name=path.name,
                                           data=path.read_bytes(), source="command", progress=report)
        if not result.ok:
            table = Table("行", "列", "问题", title=f"{path.name}:{len(result.errors)} 处错误,未导入")
            for e in result.errors[:200]:
                table.add_row(str(e["row"] or "—"), e["column"] or "—", e["message"])
            Console(file=self.stderr, highlight=False).print(table)
            raise CommandError(f"文件有 {len(result.errors)} 处错误,未导入任何数据")
        self.stdout.write(self.style.SUCCESS(
            f"导入完成({div.name}):共 {result.rows} 行,新增 {result.created},更新 {result.updated},"
            f"未变 {result.unchanged}"))
