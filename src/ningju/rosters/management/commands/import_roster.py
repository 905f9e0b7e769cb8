from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ningju.accounts.models import User
from ningju.rosters import services
from ningju.rosters.models import RosterImport
from ningju.rosters.selectors import importable_get

PHASES = {"read": "读取文件", "validate": "校验", "write": "写入"}


class Command(BaseCommand):
    help = ("导入一个企业/站点的花名册(.xlsx 或 .csv)。全部行通过校验才写入;有错误时逐条列出(行号、列、问题),"
            "不写入任何人员,并以非零状态退出。")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="花名册文件")
        parser.add_argument("--org", type=int, required=True, help="企业/站点的组织 id")
        parser.add_argument("--actor", help="以该账号(手机号)的身份和管辖范围导入;不填则以系统身份导入")

    def handle(self, *args, file: Path, org: int, actor: str | None = None, **options):
        user = None
        if actor:
            user = User.objects.filter(phone=actor, is_active=True).first()
            if user is None:
                raise CommandError(f"找不到启用的账号 {actor}")
        try:
            organisation = importable_get(user=user, pk=org)
        except Http404 as exc:
            raise CommandError(f"组织 #{org} 不存在、不是平台企业/站点,或不在该账号的管辖范围内") from exc
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件:{exc}") from exc

        console = Console(file=self.stdout._out, highlight=False)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            tasks: dict[str, int] = {}

            def report(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = progress.add_task(PHASES.get(phase, phase), total=max(total, 1))
                progress.update(tasks[phase], completed=done if total else 1, total=max(total, 1))

            try:
                record = services.roster_import(actor=user, organisation=organisation, file_name=file.name,
                                                content=content, source="command", progress=report)
            except (ValidationError, PermissionDenied) as exc:
                messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
                raise CommandError(";".join(messages)) from exc

        if record.status == RosterImport.Status.FAILED:
            table = Table(title=f"花名册导入 #{record.pk}:{len(record.errors)} 处错误,未导入任何人员")
            table.add_column("行号", justify="right")
            table.add_column("列")
            table.add_column("问题")
            for e in record.errors:
                table.add_row("文件" if e["row"] is None else str(e["row"]), e["column"] or "—", e["message"])
            console.print(table)
            raise CommandError(f"花名册有 {len(record.errors)} 处错误,未导入(导入记录 #{record.pk})")
        self.stdout.write(self.style.SUCCESS(
            f"导入成功(#{record.pk}):{record.rows_total} 行,新增 {record.created_count},"
            f"更新 {record.updated_count},未变 {record.unchanged_count}"))
