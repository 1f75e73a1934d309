"""Realistic made-up people for the demo company and the benchmarks: common Chinese surnames and given
names, mainland mobile numbers and resident ID numbers with valid check digits. Deterministic per seed."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "建国",
    "志强",
    "海燕",
    "红梅",
    "玉兰",
    "文博",
    "思远",
    "子涵",
    "雨桐",
    "浩然",
    "欣怡",
    "梓轩",
    "一诺",
    "宇轩",
    "诗涵",
    "俊杰",
    "晓东",
    "丽娟",
    "春梅",
    "国平",
    "海峰",
]
# Area codes of the first six ID digits: Hangzhou districts, Beijing Dongcheng, Shanghai Pudong, Shenzhen Futian.
AREAS = ["330102", "330105", "330106", "330108", "110101", "310115", "440304"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


@dataclass(frozen=True)
class SamplePerson:
    name: str
    phone: str
    id_number: str
    birthday: dt.date


def id_number_for(area: str, birthday: dt.date, sequence: int) -> str:
    body = f"{area}{birthday:%Y%m%d}{sequence % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def sample_people(count: int, *, seed: int = 2026) -> list[SamplePerson]:
    rng = random.Random(seed)
    people = []
    used: set[str] = set()
    for n in range(count):
        birthday = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 55))
        id_number = id_number_for(rng.choice(AREAS), birthday, n)
        while id_number in used:
            n += 100_000
            id_number = id_number_for(rng.choice(AREAS), birthday, n)
        used.add(id_number)
        people.append(
            SamplePerson(
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                phone=f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}",
                id_number=id_number,
                birthday=birthday,
            )
        )
    return people
