"""The demo's community marketplace (社区商城): eight local merchants with about 200 listings, each with a
picture drawn here (nothing downloaded), and their standing with the demo companies:

- 鲜果坊 (fruit) is approved by both 示范物业 and 绿城物业;
- six more are approved by 示范物业 for both its estates;
- 快洁洗衣 (laundry) was approved by 示范物业 and is suspended there, with a reason;
- 安家搬家 (moving) has an application pending at 示范物业.

Each merchant's owner signs in on the platform site under /merchant/ with the demo password. Idempotent: a
merchant that exists (by licence number) is left as it is."""

from __future__ import annotations

import colorsys
import datetime as dt
import io
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context
from PIL import Image, ImageDraw

from backend.accounts.models import Membership, User
from backend.accounts.roles import Role
from backend.properties.models import Estate
from backend.uploads.kinds import MERCHANT_LICENCE, PRODUCT_PHOTO
from backend.uploads.validation import upload_accept
from marketplace import vetting
from marketplace.merchants import licence_check_character
from marketplace.models import (
    ApplicationStatus,
    Category,
    Listing,
    ListingKind,
    ListingPhoto,
    ListingVariant,
    Merchant,
    MerchantApplication,
    MerchantMember,
    MerchantRole,
    ServiceSlot,
    Special,
)
from tenants.models import Tenant

from .progress import Stage


@dataclass(frozen=True)
class Offer:
    title: str
    price_fen: int
    unit: str
    words: str = ""  # more searchable words for the description


@dataclass(frozen=True)
class MerchantPlan:
    name: str
    licence_number: str
    owner: tuple[str, str, str]  # name, email, phone
    category: str  # the category code its listings are in
    kind: str  # ListingKind
    address: str
    service_area: str
    about: str
    offers: tuple[Offer, ...]
    sizes: tuple[tuple[str, int], ...]  # variants or durations: (label, price per mille of the base)
    hue: float  # the pictures' colour, 0..1


def _licence(n: int) -> str:
    """A well-formed 统一社会信用代码 (check character computed), as the sign-up form would accept."""
    body = f"91310115MA1{n:06d}"
    return body + licence_check_character(body)


def _o(title: str, yuan: float, unit: str, words: str = "") -> Offer:
    return Offer(title, round(yuan * 100), unit, words)


MERCHANTS: tuple[MerchantPlan, ...] = (
    MerchantPlan(
        "鲜果坊",
        _licence(1),
        ("刘老板", "fruit@shop.test", "13766000001"),
        "fruit",
        ListingKind.GOOD,
        "浦东新区阳光路 18 号",
        "阳光花园、翠湖苑、桂花园",
        "每天清晨到货的时令水果，小区内一小时送达。",
        (
            _o("红富士苹果", 12.8, "斤", "脆甜 山东烟台"),
            _o("赣南脐橙", 9.9, "斤", "橙子 江西"),
            _o("海南香蕉", 6.5, "斤", "香蕉"),
            _o("阳光玫瑰葡萄", 29.8, "斤", "葡萄 无籽"),
            _o("丹东草莓", 39.9, "盒", "草莓 奶油"),
            _o("新疆哈密瓜", 8.8, "斤", "哈密瓜 甜瓜"),
            _o("泰国金枕榴莲", 35.0, "斤", "榴莲"),
            _o("四川猕猴桃", 15.8, "斤", "猕猴桃 奇异果"),
            _o("云南蓝莓", 25.0, "盒", "蓝莓"),
            _o("陕西冬枣", 18.8, "斤", "枣"),
            _o("广西沃柑", 7.9, "斤", "柑橘"),
            _o("水果拼盘", 49.0, "份", "果切 聚会"),
            _o("砀山酥梨", 5.8, "斤", "梨 安徽"),
        ),
        (("500克", 1000), ("2.5公斤装", 4600)),
        0.02,
    ),
    MerchantPlan(
        "好帮手家政",
        _licence(2),
        ("陈阿姨", "housekeeping@shop.test", "13766000002"),
        "housekeeping",
        ListingKind.SERVICE,
        "浦东新区翠湖路 6 号",
        "浦东新区",
        "持证家政员上门服务，自带工具，不满意免费返工。",
        (
            _o("上门家政保洁", 50.0, "小时", "日常保洁 打扫卫生"),
            _o("深度保洁", 68.0, "小时", "全屋 深度清洁"),
            _o("新房开荒保洁", 8.0, "平方米", "开荒 装修后"),
            _o("厨房油烟机清洗", 150.0, "台", "油烟机 清洗"),
            _o("空调清洗", 120.0, "台", "空调 挂机 消毒"),
            _o("冰箱清洗除味", 100.0, "台", "冰箱"),
            _o("擦玻璃", 5.0, "平方米", "玻璃 窗户"),
            _o("沙发清洗", 200.0, "套", "布艺沙发"),
            _o("地板打蜡", 10.0, "平方米", "木地板 打蜡"),
            _o("卫生间深度清洁", 180.0, "间", "卫生间 除垢"),
            _o("做饭阿姨", 60.0, "小时", "家常菜 做饭"),
            _o("育儿嫂", 80.0, "小时", "育儿 看护"),
            _o("老人陪护", 70.0, "小时", "陪护 养老"),
        ),
        (("2小时", 2000), ("4小时", 3800)),
        0.55,
    ),
    MerchantPlan(
        "启明家教",
        _licence(3),
        ("孙老师", "tutoring@shop.test", "13766000003"),
        "tutoring",
        ListingKind.SERVICE,
        "浦东新区学府路 3 号",
        "阳光花园、翠湖苑",
        "在职教师一对一上门辅导，小学到高中。",
        (
            _o("小学数学辅导", 150.0, "小时", "数学 小学"),
            _o("初中数学辅导", 180.0, "小时", "数学 初中 中考"),
            _o("高中数学辅导", 220.0, "小时", "数学 高中 高考"),
            _o("小学英语辅导", 150.0, "小时", "英语"),
            _o("初中英语辅导", 180.0, "小时", "英语 中考"),
            _o("高中物理辅导", 220.0, "小时", "物理"),
            _o("高中化学辅导", 220.0, "小时", "化学"),
            _o("语文作文辅导", 160.0, "小时", "作文 阅读"),
            _o("钢琴陪练", 200.0, "小时", "钢琴 音乐"),
            _o("少儿书法", 120.0, "小时", "书法 毛笔字"),
            _o("少儿编程", 200.0, "小时", "编程 科学"),
            _o("作业辅导", 100.0, "小时", "作业 托管"),
            _o("幼小衔接", 130.0, "小时", "拼音 幼儿"),
        ),
        (("1课时", 1000), ("10课时套餐", 9200)),
        0.62,
    ),
    MerchantPlan(
        "安心开锁",
        _licence(4),
        ("钱师傅", "locksmith@shop.test", "13766000004"),
        "locksmith",
        ListingKind.SERVICE,
        "浦东新区阳光路 66 号",
        "浦东新区",
        "公安备案开锁，30 分钟上门，先验证身份再开锁。",
        (
            _o("上门开锁", 80.0, "次", "开门 忘带钥匙"),
            _o("防盗门换锁芯", 180.0, "次", "锁芯 防盗门"),
            _o("汽车开锁", 150.0, "次", "汽车 车门"),
            _o("保险柜开锁", 300.0, "次", "保险柜"),
            _o("指纹锁安装", 260.0, "次", "指纹锁 智能锁"),
            _o("信箱开锁", 40.0, "次", "信箱"),
            _o("抽屉柜门开锁", 50.0, "次", "抽屉"),
            _o("配钥匙", 15.0, "把", "钥匙"),
            _o("门锁维修", 100.0, "次", "维修 门把手"),
            _o("密码锁重置", 120.0, "次", "密码锁"),
            _o("电动车开锁", 60.0, "次", "电动车"),
            _o("卷帘门开锁", 120.0, "次", "卷帘门"),
            _o("C级锁芯升级", 320.0, "次", "C级 锁芯 升级"),
        ),
        (("白天", 1000), ("夜间加急", 1500)),
        0.12,
    ),
    MerchantPlan(
        "麦香面包房",
        _licence(5),
        ("周师傅", "bakery@shop.test", "13766000005"),
        "bakery",
        ListingKind.GOOD,
        "浦东新区翠湖路 21 号",
        "阳光花园、翠湖苑",
        "每日现烤，当天卖完，不用隔夜面团。",
        (
            _o("全麦吐司", 16.0, "条", "吐司 全麦 早餐"),
            _o("牛角可颂", 8.0, "个", "可颂 黄油"),
            _o("法棍", 12.0, "根", "法式 面包"),
            _o("肉松小贝", 6.0, "个", "肉松 蛋糕"),
            _o("提拉米苏", 28.0, "块", "提拉米苏 甜点"),
            _o("生日蛋糕", 168.0, "个", "生日 奶油 蛋糕"),
            _o("蛋挞", 5.0, "个", "葡式 蛋挞"),
            _o("红豆面包", 7.0, "个", "红豆"),
            _o("芝士蛋糕", 32.0, "块", "芝士 重乳酪"),
            _o("司康", 9.0, "个", "司康 英式"),
            _o("菠萝包", 6.5, "个", "菠萝包 港式"),
            _o("黑麦面包", 18.0, "个", "黑麦 低糖"),
            _o("曲奇饼干", 25.0, "盒", "曲奇 饼干"),
        ),
        (("单个装", 1000), ("六个装", 5500)),
        0.09,
    ),
    MerchantPlan(
        "绿野有机蔬菜",
        _licence(6),
        ("吴场长", "vegetables@shop.test", "13766000006"),
        "vegetables",
        ListingKind.GOOD,
        "奉贤区绿野农场",
        "阳光花园、翠湖苑",
        "自有农场有机种植，当天采摘，冷链到小区。",
        (
            _o("有机菠菜", 9.8, "斤", "菠菜 绿叶菜"),
            _o("有机西红柿", 8.8, "斤", "番茄 西红柿"),
            _o("有机黄瓜", 6.8, "斤", "黄瓜"),
            _o("有机土豆", 4.5, "斤", "土豆 马铃薯"),
            _o("有机胡萝卜", 5.5, "斤", "胡萝卜"),
            _o("有机西兰花", 12.8, "斤", "西兰花"),
            _o("有机生菜", 7.8, "斤", "生菜 沙拉"),
            _o("有机茄子", 6.5, "斤", "茄子"),
            _o("有机青椒", 7.5, "斤", "青椒 辣椒"),
            _o("有机玉米", 4.0, "根", "玉米 甜玉米"),
            _o("有机山药", 15.8, "斤", "山药"),
            _o("有机南瓜", 3.8, "斤", "南瓜"),
            _o("蔬菜周配箱", 98.0, "箱", "蔬菜 套餐 配送"),
        ),
        (("500克", 1000), ("家庭装2公斤", 3700)),
        0.3,
    ),
    MerchantPlan(
        "安家搬家",
        _licence(7),
        ("郑队长", "moving@shop.test", "13766000007"),
        "moving",
        ListingKind.SERVICE,
        "浦东新区物流园 9 号",
        "上海市",
        "正规搬家公司，明码标价，家具拆装包装一条龙。",
        (
            _o("小面包车搬家", 300.0, "车", "面包车 搬家"),
            _o("4米2厢货搬家", 500.0, "车", "厢货 搬家"),
            _o("钢琴搬运", 600.0, "台", "钢琴"),
            _o("家具拆装", 150.0, "件", "拆装 家具"),
            _o("公司搬迁", 1500.0, "次", "公司 办公室"),
            _o("学生搬家", 200.0, "次", "学生 宿舍"),
            _o("打包服务", 80.0, "小时", "打包 纸箱"),
            _o("长途搬家", 3000.0, "次", "长途 跨城"),
            _o("空调移机", 300.0, "台", "空调 移机"),
            _o("大件搬运上楼", 100.0, "件", "上楼 大件"),
            _o("日式精品搬家", 1200.0, "次", "日式 精品"),
            _o("旧家具回收", 50.0, "件", "回收"),
            _o("纸箱租赁", 5.0, "个", "纸箱"),
        ),
        (("工作日", 1000), ("周末", 1200)),
        0.72,
    ),
    MerchantPlan(
        "快洁洗衣",
        _licence(8),
        ("冯店长", "laundry@shop.test", "13766000008"),
        "laundry",
        ListingKind.SERVICE,
        "浦东新区阳光路 30 号",
        "阳光花园、翠湖苑",
        "上门取送，干洗水洗，48 小时送回。",
        (
            _o("衬衫干洗", 15.0, "件", "衬衫 干洗"),
            _o("西装干洗", 45.0, "套", "西装"),
            _o("羽绒服清洗", 50.0, "件", "羽绒服"),
            _o("大衣干洗", 40.0, "件", "大衣 羊绒"),
            _o("窗帘清洗", 12.0, "平方米", "窗帘"),
            _o("被子清洗", 60.0, "床", "被子 棉被"),
            _o("运动鞋清洗", 30.0, "双", "洗鞋 球鞋"),
            _o("皮衣护理", 120.0, "件", "皮衣"),
            _o("地毯清洗", 20.0, "平方米", "地毯"),
            _o("婚纱清洗", 200.0, "件", "婚纱 礼服"),
            _o("包包护理", 150.0, "个", "皮包 护理"),
            _o("床单被套", 25.0, "套", "床单"),
            _o("校服清洗", 20.0, "套", "校服"),
        ),
        (("标准", 1000), ("加急24小时", 1300)),
        0.45,
    ),
)

# Their standing with the demo companies: (merchant, company slug, status, reason).
STANDING: tuple[tuple[str, str, str, str], ...] = (
    ("鲜果坊", "demo", ApplicationStatus.APPROVED, ""),
    ("鲜果坊", "lvcheng", ApplicationStatus.APPROVED, ""),
    ("好帮手家政", "demo", ApplicationStatus.APPROVED, ""),
    ("启明家教", "demo", ApplicationStatus.APPROVED, ""),
    ("安心开锁", "demo", ApplicationStatus.APPROVED, ""),
    ("麦香面包房", "demo", ApplicationStatus.APPROVED, ""),
    ("绿野有机蔬菜", "demo", ApplicationStatus.APPROVED, ""),
    ("快洁洗衣", "demo", ApplicationStatus.SUSPENDED, "多名业主投诉衣物送回延迟，整改前暂停。"),
    ("安家搬家", "demo", ApplicationStatus.PENDING, ""),
)


def picture(*, hue: float, seed: int, size: int = 480) -> bytes:
    """A product picture drawn here: a soft gradient in the merchant's colour with a few shapes, different for
    every listing (seeded), as a PNG that then goes through the upload module like any photo."""
    rng = random.Random(seed)
    hue = (hue + rng.uniform(-0.04, 0.04)) % 1
    top = tuple(round(c * 255) for c in colorsys.hls_to_rgb(hue, 0.85, 0.6))
    bottom = tuple(round(c * 255) for c in colorsys.hls_to_rgb(hue, 0.6, 0.55))
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        t = y / (size - 1)
        draw.line([(0, y), (size, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    for _ in range(rng.randint(2, 4)):
        r = rng.randint(size // 10, size // 3)
        x, y = rng.randint(r, size - r), rng.randint(r, size - r)
        fill = tuple(round(c * 255) for c in colorsys.hls_to_rgb((hue + rng.uniform(-0.1, 0.1)) % 1, 0.45, 0.7))
        if rng.random() < 0.6:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)
        else:
            draw.rounded_rectangle([x - r, y - r, x + r, y + r], radius=r // 3, fill=fill)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _accepted(kind: object, data: bytes):  # type: ignore[no-untyped-def]
    return upload_accept(kind=kind, upload=io.BytesIO(data)).content_file()  # type: ignore[arg-type]


def demo_marketplace_seed(*, password: str, stage: Stage | None = None, today: dt.date | None = None) -> None:
    """The merchants, their catalogue and their standing with whichever demo companies exist."""
    today = today or timezone.localdate()
    tenants = {t.slug: t for t in Tenant.objects.filter(slug__in={s[1] for s in STANDING})}
    estates = {}
    for slug, tenant in tenants.items():
        with schema_context(tenant.schema_name):
            estates[slug] = dict(Estate.objects.order_by("id").values_list("id", "name"))
    categories = {c.code: c for c in Category.objects.all()}
    made = 0
    for number, plan in enumerate(MERCHANTS):
        with transaction.atomic():
            merchant = Merchant.objects.filter(licence_number=plan.licence_number).first()
            if merchant is None:
                merchant = _merchant_seed(plan, number, categories, password=password, today=today)
                made += 1
            for name, slug, status, reason in STANDING:
                if name == plan.name and slug in tenants:
                    _standing_seed(merchant, tenants[slug], estates[slug], plan, status, reason)
    demo_groupbuy_seed()
    if stage is not None:
        stage.count(made, "merchant")
        stage.count(
            Listing.objects.filter(merchant__licence_number__in=[m.licence_number for m in MERCHANTS]).count(),
            "listing",
        )


def _merchant_seed(
    plan: MerchantPlan, number: int, categories: dict[str, Category], *, password: str, today: dt.date
) -> Merchant:
    name, email, phone = plan.owner
    owner = User.objects.filter(email=email).first() or User.objects.create_user(
        email=email, password=password, name=name, phone=phone
    )
    merchant = Merchant(
        name=plan.name,
        licence_number=plan.licence_number,
        contact_name=name,
        contact_phone=phone,
        address=plan.address,
        service_area=plan.service_area,
        description=plan.about,
    )
    merchant.licence.save("licence.png", _accepted(MERCHANT_LICENCE, picture(hue=0.1, seed=number, size=640)), False)
    merchant.save()
    category = categories[plan.category]
    merchant.categories.add(category)
    MerchantMember.objects.create(merchant=merchant, user=owner, role=MerchantRole.OWNER)
    rng = random.Random(number)
    month = today.replace(day=1)
    specials = 0
    for index, offer in enumerate(plan.offers):
        for label, per_mille in plan.sizes:
            price = offer.price_fen * per_mille // 1000
            listing = Listing.objects.create(
                merchant=merchant,
                kind=plan.kind,
                category=category,
                title=f"{offer.title}（{label}）",
                description=f"{offer.title}，{label}。{offer.words}。{plan.about}",
                price_fen=price,
                unit=offer.unit,
                per_order_limit=10 if plan.kind == ListingKind.GOOD else None,
                stock=rng.choice([None, 0, 5, 20, 100]) if plan.kind == ListingKind.GOOD else None,
                duration_minutes=_duration(label) if plan.kind == ListingKind.SERVICE else None,
                service_area=plan.service_area if plan.kind == ListingKind.SERVICE else "",
                views=rng.randint(0, 400),
                sales=rng.randint(0, 120),
                rating=round(rng.uniform(3.6, 5.0), 2) if rng.random() < 0.8 else None,
                rating_count=rng.randint(1, 60),
            )
            photo = ListingPhoto(listing=listing, position=0)
            photo.image.save("photo.png", _accepted(PRODUCT_PHOTO, picture(hue=plan.hue, seed=listing.pk)), False)
            photo.save()
            if plan.kind == ListingKind.GOOD and index < 3:
                for v, (weight, factor) in enumerate((("小份", 600), ("大份", 1500))):
                    ListingVariant.objects.create(
                        listing=listing, name=weight, price_fen=price * factor // 1000, stock=50, position=v
                    )
            if plan.kind == ListingKind.SERVICE and index < 4:
                _slots_seed(listing, today)
            if specials < 4 and index % 3 == 0 and label == plan.sizes[0][0]:
                Special.objects.create(merchant=merchant, listing=listing, month=month, price_fen=price * 85 // 100)
                specials += 1
    return merchant


def _duration(label: str) -> int:
    for hours in (4, 2):
        if f"{hours}小时" in label:
            return hours * 60
    return 60


def _slots_seed(listing: Listing, today: dt.date) -> None:
    tz = timezone.get_current_timezone()
    for day in range(1, 8):
        date = today + dt.timedelta(days=day)
        for hour in (9, 14, 19):
            starts = dt.datetime.combine(date, dt.time(hour), tzinfo=tz)
            ServiceSlot.objects.create(
                listing=listing,
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=listing.duration_minutes or 60),
                capacity=2,
            )


def _standing_seed(
    merchant: Merchant, tenant: Tenant, estates: dict[int, str], plan: MerchantPlan, status: str, reason: str
) -> None:
    """The merchant applies, then the company's customer service decides through the vetting services (so the
    decisions are audited in the company's log and the merchant has its notices)."""
    if MerchantApplication.objects.filter(merchant=merchant, tenant=tenant).exists():
        return
    application = MerchantApplication.objects.create(
        merchant=merchant,
        tenant=tenant,
        estate_ids=list(estates),
        estate_names={str(k): v for k, v in estates.items()},
        category_codes=[plan.category],
        message=f"{plan.name}申请为贵司小区业主服务。",
        submitted_at=timezone.now() - dt.timedelta(days=30),
    )
    if status == ApplicationStatus.PENDING:
        return
    decider = (
        Membership.objects.filter(tenant=tenant, roles__contains=[Role.CUSTOMER_SERVICE], is_active=True)
        .select_related("user")
        .first()
    )
    with tenant_context(tenant):
        vetting.approve(
            application=application.pk,
            by=decider.user if decider else None,
            estate_ids=list(estates),
            category_codes=[plan.category],
        )
        if status == ApplicationStatus.SUSPENDED:
            vetting.suspend(application=application.pk, by=decider.user if decider else None, reason=reason)


# --- group-buy (团购): one live deal ---------------------------------------------------------------------------


def demo_groupbuy_seed(*, now: dt.datetime | None = None) -> int:
    """A live group-buy of 鲜果坊 in 示范物业: its first listing without variants at 80% of its price, for 5 to 30
    residents, closing in two days at 20:00. Residents whose home has prepaid money enough join (paid at once
    from it, no payment invented). Idempotent: a company that has a deal already is left as it is. Returns the
    participants who joined."""
    from backend.billing.selectors import unit_account
    from backend.errors import ApplicationError
    from backend.properties.models import Occupancy
    from marketplace.groupbuy.models import Deal
    from marketplace.groupbuy.services import deal_create, deal_join

    now = now or timezone.now()
    tenant = Tenant.objects.filter(slug="demo").first()
    merchant = Merchant.objects.filter(name="鲜果坊").first()
    if tenant is None or merchant is None:
        return 0
    listing = (
        Listing.objects.filter(merchant=merchant, is_active=True, variants__isnull=True, price_fen__gte=500)
        .order_by("id")
        .first()
    )
    if listing is None:
        return 0
    joined = 0
    with tenant_context(tenant):
        if Deal.objects.exists():
            return 0
        close = timezone.localtime(now + dt.timedelta(days=2)).replace(hour=20, minute=0, second=0, microsecond=0)
        deal = deal_create(
            merchant_id=merchant.pk,
            listing_id=listing.pk,
            group_price_fen=listing.price_fen * 80 // 100,
            min_participants=5,
            max_participants=30,
            deadline=close,
            now=now,
        )
        homes = (
            Occupancy.objects.filter(end_date__isnull=True, person__user__isnull=False)
            .select_related("person__user", "unit__estate")
            .order_by("id")
        )
        seen: set[int] = set()
        for occupancy in homes[:200]:
            user = occupancy.person.user
            if joined >= 3 or user is None or user.pk in seen:
                continue
            if unit_account(occupancy.unit_id).prepaid < deal.group_price_fen:
                continue
            try:
                deal_join(deal_id=deal.pk, user=user, unit=occupancy.unit, fulfilment="pickup", now=now)
            except ApplicationError:  # a home this listing is not offered to: the next one
                continue
            seen.add(user.pk)
            joined += 1
    return joined
