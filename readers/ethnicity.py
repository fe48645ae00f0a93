"""GB 3304 ethnicity codes, as the two digits at byte 32 of a resident card's text block.

Names are as printed on the card (民族 汉), without the suffix 族.
"""

from __future__ import annotations

from types import MappingProxyType

_NAMES = [
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
]

ETHNICITIES: MappingProxyType[str, str] = MappingProxyType(
    {f"{number:02d}": name for number, name in enumerate(_NAMES, start=1)}
    | {"97": "其他", "98": "外国血统"}
)


def ethnicity_name(code: str) -> str | None:
    """The name for a two-digit GB 3304 code, or None when the code is not in the table."""
    return ETHNICITIES.get(code)


def ethnicity_code(name: str) -> str | None:
    """The code for a name (with or without 族), or None when no ethnicity has that name."""
    wanted = name.removesuffix("族")
    return next((code for code, known in ETHNICITIES.items() if known == wanted), None)
