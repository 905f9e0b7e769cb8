from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from ningju.geo.services import DivisionImportError, divisions_import, read_rows


class Command(BaseCommand):
    help = "导入或更新行政区划(CSV,列:code,name,level,parent_code)。有任何错误时不写入。"

    def add_arguments(self, parser):
        parser.add_argument("csv_file", type=Path)

    def handle(self, *args, csv_file: Path, **options):
        try:
            raw = csv_file.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件:{exc}") from exc
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise CommandError("文件编码无法识别(支持 UTF-8 与 GBK)")
        try:
            rows = read_rows(text)
            with Progress(transient=True) as progress:
                task = progress.add_task("导入行政区划", total=len(rows))
                result = divisions_import(actor=None, rows=rows,
                                          progress=lambda n: progress.update(task, completed=n))
        except DivisionImportError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError(f"导入失败,共{len(exc.errors)}处错误,未写入任何数据") from exc
        self.stdout.write(self.style.SUCCESS(
            f"新增 {result.created},更新 {result.updated},未变 {result.unchanged}"))
