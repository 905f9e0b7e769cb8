from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ningju.workdays.library import library_label, library_years
from ningju.workdays.services import year_load_from_library


class Command(BaseCommand):
    help = ("从 chinesecalendar 载入(或重新载入)节假日与调休上班日,并标记该年安排已发布。"
            "管理员修改过的日期保持不变;重复运行不产生变化。")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", dest="years", metavar="Y",
                            help="只载入这一年(可重复);默认载入库中所有年份")

    def handle(self, *args, years=None, **options):
        known = library_years()
        years = sorted(set(years or known))
        unknown = [y for y in years if y not in known]
        if unknown:
            raise CommandError(f"{library_label()} 没有 {'、'.join(map(str, unknown))} 年的数据"
                               f"(支持 {known[0]}–{known[-1]} 年)")
        changed = 0
        for year in years:
            try:
                result = year_load_from_library(actor=None, year=year, source="command")
            except ValidationError as exc:
                raise CommandError(";".join(exc.messages)) from exc
            changed += result.changed
            if result.changed or options["verbosity"] > 1:
                self.stdout.write(result.summary())
        self.stdout.write(self.style.SUCCESS(f"已检查 {len(years)} 年,其中 {changed} 年有变化({library_label()})"))
