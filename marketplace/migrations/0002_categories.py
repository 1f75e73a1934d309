"""The platform's category tree, from DOMAIN.md §6 (the documents' list of local services and goods)."""

from django.db import migrations

# (code, parent code, 中文, English, kind)
CATEGORIES = [
    ("fresh", "", "生鲜果蔬", "Fresh food", "goods"),
    ("fruit", "fresh", "时令水果", "Seasonal fruit", "goods"),
    ("vegetables", "fresh", "有机蔬菜", "Organic vegetables", "goods"),
    ("bakery", "fresh", "面包烘焙", "Bakery", "goods"),
    ("food_delivery", "fresh", "外卖餐饮", "Food delivery", "goods"),
    ("household", "", "日用百货", "Household goods", "goods"),
    ("daily_items", "household", "百样日用品", "Everyday household items", "goods"),
    ("pets", "household", "宠物用品", "Pets", "both"),
    ("home_services", "", "家庭服务", "Home services", "services"),
    ("housekeeping", "home_services", "家政保洁", "Housekeeping", "services"),
    ("locksmith", "home_services", "开锁换锁", "Locksmith", "services"),
    ("moving", "home_services", "搬家", "Moving", "services"),
    ("laundry", "home_services", "洗衣", "Laundry", "services"),
    ("renovation", "home_services", "装修维修", "Renovation", "services"),
    ("education", "", "教育培训", "Education", "services"),
    ("tutoring", "education", "家教", "Tutoring", "services"),
    ("life_services", "", "生活服务", "Life services", "services"),
    ("courier", "life_services", "快递跑腿", "Courier", "services"),
    ("car_insurance", "life_services", "车险", "Car insurance", "services"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("marketplace", "Category")
    by_code = {}
    for position, (code, parent, zh, en, kind) in enumerate(CATEGORIES):
        by_code[code] = Category.objects.update_or_create(
            code=code,
            defaults={"parent": by_code.get(parent), "name_zh": zh, "name_en": en, "kind": kind, "position": position},
        )[0]


def unseed(apps, schema_editor):
    apps.get_model("marketplace", "Category").objects.filter(code__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
