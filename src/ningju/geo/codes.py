"""Rules tying a division code to its level and its parent's code."""

from django.core.exceptions import ValidationError

from .models import Level

_SHAPES = {
    # level: (total length, number of leading digits shared with the parent, own part slice)
    Level.CITY: (12, 2, slice(2, 4)),
    Level.COUNTY: (12, 4, slice(4, 6)),
    Level.TOWN: (12, 6, slice(6, 9)),
    Level.VILLAGE: (12, 9, slice(9, 12)),
    Level.GRID: (15, 12, slice(12, 15)),
}


def check_code(code: str, level: int, parent_code: str | None, parent_level: int | None) -> None:
    """Raise ValidationError (Chinese message) unless ``code`` fits its level and its parent."""
    length, shared, own = _SHAPES[Level(level)]
    if not code.isdigit() or len(code) != length:
        raise ValidationError(f"区划代码应为{length}位数字:{code}")
    if code[own].strip("0") == "":
        raise ValidationError(f"区划代码 {code} 的本级部分不能全为0")
    tail = code[own.stop:12]
    if tail and tail.strip("0") != "":
        raise ValidationError(f"{Level(level).label}的区划代码 {code} 第{own.stop + 1}位起应为0")
    if level == Level.CITY:
        if parent_code:
            raise ValidationError("市级区划不应有上级")
        return
    if not parent_code:
        raise ValidationError(f"{Level(level).label}必须有上级区划")
    if parent_level != level - 1:
        raise ValidationError(f"上级区划层级不符:{Level(level).label}的上级应为{Level(level - 1).label}")
    if code[:shared] != parent_code[:shared]:
        raise ValidationError(f"区划代码 {code} 与上级代码 {parent_code} 不匹配(前{shared}位应相同)")
