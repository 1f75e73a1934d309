"""A demo company's year of repairs (报修), at the handbook's volumes scaled to its homes: about 10,300 repairs a
year for 5,500 homes, so about 2,800 for 示范物业's 1,500 units, more in the rainy summer and on Mondays.

- Categories as the handbook's year-end review found them (水管, 渗漏 — walls and bathrooms —, 门窗/防盗门,
  电路, the lifts and the public areas, 门禁对讲) and paid in-home services (有偿), each with its SLA targets.
- Six engineers (赵师傅, the demo login, and five more) take the repairs; customer service (王客服) dispatches
  and revisits them. Households with a login (about 600, the demo resident 陈业主 among them) report on their
  phones and rate the repair; the others call or walk in.
- About 90% finish within their resolution time limit (counted in the company's business hours with the real
  SLA calendar, backend/desk/sla.py), a few percent are reopened, nearly all are revisited within the
  handbook's 2 days (3 after the leak test). The last days' repairs are still open: waiting for dispatch, on
  the way, some close to or past their limit (as the SLA sweep would have flagged them).
- Paid repairs of the last 90 days have their charge on the home's ledger (most paid at the counter); older
  ones are history without ledger lines. Photos are not seeded.

Inserted in bulk (tickets, then their timeline events), so the year takes a few seconds. Deterministic (fixed
seed). A company that has tickets is left as it is."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Membership, User
from backend.accounts.roles import Role
from backend.billing import ledger
from backend.billing.models import Payment
from backend.desk.intake import CODE_ALPHABET, DEFAULT_TARGETS, category_save
from backend.desk.models import (
    OPEN_STATUSES,
    Channel,
    DeskSettings,
    Place,
    Priority,
    RepairCategory,
    RevisitRule,
    Status,
    Ticket,
    TicketEvent,
)
from backend.desk.services import repair_fee_item
from backend.desk.sla import REVISIT_DAYS, Calendar, next_alert_at
from backend.errors import ApplicationError
from backend.properties.models import Occupancy, Person, Unit
from tenants.db import company_time_zone, connection
from tenants.models import Tenant

from .progress import Stage

DAYS = 365
PER_UNIT_YEAR = 10_300 / 5_500  # the handbook's volume per home and year
LOGINS = 600  # households that report on their phones
CHARGED_DAYS = 90  # paid repairs this recent have their charge on the ledger
SEED = 1616
POOL = 4  # open repairs left waiting for dispatch


@dataclass(frozen=True)
class CategoryPlan:
    code: str
    name: str
    weight: int
    priority: str
    targets: tuple[int, int]  # response, resolution (business minutes) at the default priority
    place: str = Place.IN_UNIT
    paid: bool = False
    revisit: str = RevisitRule.STANDARD
    wet: bool = False  # more of them in the rainy season


CATEGORIES = (
    CategoryPlan("plumbing", "水管/下水道", 22, Priority.NORMAL, (120, 960)),
    CategoryPlan("leak", "渗漏（墙面/卫生间）", 14, Priority.NORMAL, (120, 1440), revisit=RevisitRule.LEAK, wet=True),
    CategoryPlan("doors", "门窗/防盗门", 11, Priority.NORMAL, (240, 1440)),
    CategoryPlan("electrical", "电路/照明", 12, Priority.HIGH, (60, 480), revisit=RevisitRule.SAFETY),
    CategoryPlan("paid", "有偿维修（家电/疏通/安装）", 12, Priority.LOW, (240, 1920), paid=True),
    CategoryPlan("lift", "电梯", 5, Priority.URGENT, (30, 240), place=Place.PUBLIC, revisit=RevisitRule.SAFETY),
    CategoryPlan("public", "公共区域（照明/设施）", 17, Priority.NORMAL, (240, 1440), place=Place.PUBLIC),
    CategoryPlan("access", "门禁/对讲", 7, Priority.HIGH, (60, 480), place=Place.PUBLIC, revisit=RevisitRule.SAFETY),
)
DESCRIPTIONS = {
    "plumbing": ["厨房水龙头漏水", "卫生间下水道堵塞", "马桶水箱一直流水", "洗手盆下水管松脱", "热水器进水阀漏水"],
    "leak": ["卫生间天花板渗水", "外墙渗水，卧室墙面发霉", "阳台地面积水渗到楼下", "窗台下方墙面渗水"],
    "doors": ["防盗门锁芯坏了，钥匙打不开", "窗户合页松动关不严", "入户门关门异响", "阳台推拉门卡住"],
    "electrical": ["客厅插座没电", "卫生间灯不亮", "空开经常跳闸", "厨房插座冒火花"],
    "paid": ["空调清洗", "抽油烟机安装", "更换水龙头（业主自购）", "疏通厨房下水（有偿）", "安装晾衣架"],
    "lift": ["电梯按钮失灵", "电梯运行有异响", "电梯门关不上", "电梯停在两层之间"],
    "public": ["楼道灯不亮", "地下车库灯坏了", "单元门闭门器坏了", "小区路灯不亮", "消防通道指示灯不亮"],
    "access": ["单元门禁刷卡没反应", "可视对讲没有图像", "门禁门关不上"],
}
PUBLIC_PLACES = ["单元楼道", "地下车库", "单元门", "电梯厅", "小区主干道", "消防通道"]
ENGINEERS = (("赵师傅", 22), ("钱师傅", 20), ("孙师傅", 18), ("李师傅", 16), ("周师傅", 14), ("吴师傅", 10))
MATERIALS = [("水龙头", 3500), ("软管", 1200), ("灯泡", 800), ("开关面板", 1500), ("密封胶", 2500), ("锁芯", 6000)]
# (rating, weight): most residents are content, a few are not
RATINGS = ((5, 56), (4, 27), (3, 10), (2, 4), (1, 3))
LATE_SHARE = 0.09  # finished past the resolution time limit
RESPONSE_LATE_SHARE = 0.05
REOPEN_SHARE = 0.03
CANCEL_SHARE = 0.02


def _weighted(rng: random.Random, pairs: Any) -> Any:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def demo_desk_seed(
    *,
    service_email: str | None,
    engineer_email: str | None,
    resident_email: str | None = None,
    stage: Stage | None = None,
    days: int = DAYS,
    now: dt.datetime | None = None,
) -> None:
    """Seed `days` of repairs ending now (the demo: a year; a test: fewer)."""
    if Ticket.objects.exists():
        if stage is not None:
            stage.note("already seeded")
        return
    service = User.objects.filter(email=service_email).first() if service_email else None
    engineer = User.objects.filter(email=engineer_email).first() if engineer_email else None
    if service is None or engineer is None or not Unit.objects.exists():
        if stage is not None:
            stage.note("no units, customer service or engineer login: skipped")
        return
    previous = connection.tenant
    if getattr(previous, "pk", None) is None:
        # Under schema_context() the connection holds a stand-in without an id; memberships need the company.
        connection.set_tenant(Tenant.objects.get(schema_name=connection.schema_name))
    try:
        with transaction.atomic():
            made = _Year(service, engineer, resident_email, now or timezone.now(), days).run()
    finally:
        if connection.tenant is not previous:
            connection.set_tenant(previous)
    if stage is not None:
        stage.count(made["tickets"], "repair")
        stage.count(made["events"], "timeline event")
        stage.count(made["charges"], "paid repair charge")
        stage.note(f"{made['attainment']}% within target")


class _Year:
    def __init__(self, service: User, engineer: User, resident_email: str | None, now: dt.datetime, days: int) -> None:
        self.rng = random.Random(SEED)
        self.service, self.now, self.days = service, now, days
        self.tz = company_time_zone()
        self.calendar = Calendar(DeskSettings.load())
        self.engineers = self._engineers(engineer)
        self.resident_email = resident_email
        self.codes: set[str] = set()
        self.events: list[TicketEvent] = []
        self.open_load: Counter[int] = Counter()
        self.cap = DeskSettings.load().engineer_open_cap - 1

    # --- who ---------------------------------------------------------------------------------------------------

    def _engineers(self, first: User) -> list[tuple[User, int]]:
        tenant = connection.tenant
        unusable = make_password(None)
        out = [(first, ENGINEERS[0][1])]
        for n, (name, weight) in enumerate(ENGINEERS[1:], start=2):
            email = f"engineer{n}@staff.demo.test"
            user = User.objects.filter(email=email).first() or User.objects.create(
                email=email, name=name, phone=None, password=unusable
            )
            Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"roles": [Role.ENGINEER]})
            out.append((user, weight))
        return out

    def _households(self) -> tuple[list[tuple[Unit, Person]], dict[int, int]]:
        """Every occupied home with its first occupant; {unit id: user id} for those with a login (the ones
        already bound, then about LOGINS more owners get a login without a password)."""
        occupants: dict[int, Person] = {}
        for occ in Occupancy.objects.filter(end_date__isnull=True).select_related("person").order_by("pk"):
            occupants.setdefault(occ.unit_id, occ.person)
        units = {u.pk: u for u in Unit.objects.filter(pk__in=list(occupants)).select_related("building")}
        homes = [(units[pk], occupants[pk]) for pk in sorted(units)]
        logins = {u.pk: p.user_id for u, p in homes if p.user_id}
        tenant = connection.tenant
        unusable = make_password(None)
        fresh = [(u, p) for u, p in homes if not p.user_id]
        self.rng.shuffle(fresh)
        fresh = fresh[: max(0, LOGINS - len(logins))]
        users = User.objects.bulk_create(
            [
                User(email=f"repair{n:03d}@residents.demo.test", name=p.name, phone=None, password=unusable)
                for n, (_u, p) in enumerate(fresh, start=1)
            ]
        )
        Membership.objects.bulk_create([Membership(user=user, tenant=tenant, roles=[Role.RESIDENT]) for user in users])
        for (unit, person), user in zip(fresh, users, strict=True):
            Person.objects.filter(pk=person.pk).update(user=user)
            person.user_id = user.pk
            logins[unit.pk] = user.pk
        return homes, logins

    # --- when --------------------------------------------------------------------------------------------------

    def _day_counts(self) -> list[tuple[dt.date, int]]:
        today = self.now.astimezone(self.tz).date()
        units = Unit.objects.count()
        per_day = units * PER_UNIT_YEAR / 365
        season = {6: 1.3, 7: 1.35, 8: 1.25, 5: 1.1, 9: 1.05, 12: 0.85, 1: 0.8, 2: 0.75}
        weekday = [1.25, 1.05, 1.0, 1.0, 1.0, 0.9, 0.8]
        raw = [
            (d, season.get(d.month, 1.0) * weekday[d.weekday()])
            for d in (today - dt.timedelta(days=back) for back in range(self.days - 1, -1, -1))
        ]
        mean = sum(w for _d, w in raw) / len(raw)
        return [(d, int(per_day * w / mean + self.rng.random())) for d, w in raw]

    def _reported_at(self, day: dt.date, app: bool) -> dt.datetime:
        if app and self.rng.random() < 0.35:
            minute = self.rng.randint(18 * 60, 22 * 60)  # an evening report on the phone
        else:
            minute = self.rng.randint(8 * 60 + 30, 17 * 60 + 20)
        return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=self.tz)

    def _due(self, start: dt.datetime, minutes: float) -> dt.datetime:
        due = self.calendar.due(start, max(1, int(minutes)), [])
        assert due is not None
        return due

    # --- the year ----------------------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        categories = self._categories()
        homes, logins = self._households()
        public_estates = sorted({(u.estate_id, u.office_id) for u, _p in homes})
        buildings = sorted({(u.estate_id, u.building.name) for u, _p in homes})
        demo_home = self._demo_home(homes)
        tickets: list[Ticket] = []
        for day, count in self._day_counts():
            for _ in range(count):
                plan, category = _weighted(self.rng, [((p, c), p.weight) for p, c in categories])
                tickets.append(self._ticket(plan, category, day, homes, logins, public_estates, buildings))
        # The latest few open repairs wait for dispatch whatever the hour, so the dispatch board has work.
        for t in sorted((t for t in tickets if t.status in OPEN_STATUSES), key=lambda x: x.created_at)[-POOL:]:
            self._to_pool(t)
        if demo_home is not None:
            logins[demo_home[0].pk] = demo_home[1].user_id  # type: ignore[assignment]
            tickets += self._demo_resident(categories, demo_home, logins)
        Ticket.objects.bulk_create(tickets, batch_size=1000)
        for t in tickets:
            for event in t._events:  # type: ignore[attr-defined]
                event.ticket_id = t.pk
                self.events.append(event)
        TicketEvent.objects.bulk_create(self.events, batch_size=4000)
        charges = self._charges([t for t in tickets if t.paid and t.finished_at is not None])
        measured = [t for t in tickets if t.finished_at is not None and t.resolution_due is not None]
        within = len([t for t in measured if t.finished_at <= t.resolution_due])  # type: ignore[operator]
        return {
            "tickets": len(tickets),
            "events": len(self.events),
            "charges": charges,
            "attainment": round(100 * within / max(1, len(measured)), 1),
        }

    def _categories(self) -> list[tuple[CategoryPlan, RepairCategory]]:
        out = []
        for position, plan in enumerate(CATEGORIES):
            category = category_save(
                code=plan.code,
                name=plan.name,
                default_priority=plan.priority,
                paid=plan.paid,
                revisit_rule=plan.revisit,
                targets={plan.priority: plan.targets},
            )
            RepairCategory.objects.filter(pk=category.pk).update(position=position)
            out.append((plan, category))
        return out

    def _demo_home(self, homes: list[tuple[Unit, Person]]) -> tuple[Unit, Person] | None:
        if not self.resident_email:
            return None
        user = User.objects.filter(email=self.resident_email).first()
        if user is None:
            return None
        occ = (
            Occupancy.objects.filter(person__user=user, end_date__isnull=True)
            .select_related("person", "unit__building")
            .order_by("pk")
            .first()
        )
        return (occ.unit, occ.person) if occ is not None else None

    def _event(self, t: Ticket, kind: str, at: dt.datetime, by: int | None, note: str = "", **data: Any) -> None:
        t._events.append(TicketEvent(at=at, kind=kind, by_id=by, note=note, data=data))  # type: ignore[attr-defined]

    def _code(self) -> str:
        while True:
            code = "BX" + "".join(self.rng.choice(CODE_ALPHABET) for _ in range(8))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _engineer(self, open_: bool) -> User | None:
        choices = [(u, w) for u, w in self.engineers if not open_ or self.open_load[u.pk] < self.cap]
        if not choices:
            return None
        user = _weighted(self.rng, choices)
        if open_:
            self.open_load[user.pk] += 1
        return user

    def _ticket(
        self,
        plan: CategoryPlan,
        category: RepairCategory,
        day: dt.date,
        homes: list[tuple[Unit, Person]],
        logins: dict[int, int],
        public_estates: list[tuple[int, int]],
        buildings: list[tuple[int, str]],
        *,
        home: tuple[Unit, Person] | None = None,
        finish: bool | None = None,
    ) -> Ticket:
        rng = self.rng
        unit, person = home or rng.choice(homes)
        reporter = logins.get(unit.pk) if plan.place == Place.IN_UNIT or rng.random() < 0.3 else None
        if reporter and rng.random() < 0.25:
            reporter = None  # they called instead
        app = reporter is not None
        created = self._reported_at(day, app)
        if created > self.now:  # later today: reported a little while ago instead
            created = self.now - dt.timedelta(minutes=rng.randint(5, 150))
        if plan.place == Place.PUBLIC:
            estate_id, building = rng.choice([b for b in buildings if b[0] == unit.estate_id])
            office_id = unit.office_id
            location = f"{building}{rng.choice(PUBLIC_PLACES)}"
            place_unit = None
        else:
            estate_id, office_id, location, place_unit = unit.estate_id, unit.office_id, "", unit
        response, resolution = (
            plan.targets
            if category.default_priority == plan.priority
            else DEFAULT_TARGETS[Priority(category.default_priority)]
        )
        t = Ticket(
            code=self._code(),
            category=category,
            place=plan.place,
            unit=place_unit,
            estate_id=estate_id,
            office_id=office_id,
            location=location,
            description=rng.choice(DESCRIPTIONS[plan.code]),
            contact_name=person.name,
            contact_phone=person.phone or "",
            preferred_time=rng.choice(["", "", "上午", "下午", "周末", "下班后"])
            if plan.place == Place.IN_UNIT
            else "",
            channel=Channel.APP if app else rng.choice([Channel.PHONE, Channel.PHONE, Channel.WALK_IN]),
            reporter_id=reporter,
            priority=plan.priority,
            paid=plan.paid,
            created_at=created,
            response_target=response,
            resolution_target=resolution,
        )
        t._events = []  # type: ignore[attr-defined]
        self._event(t, "reported", created, reporter or self.service.pk, channel=t.channel, photos=0)
        if rng.random() < CANCEL_SHARE and finish is None:
            t.status, t.closed_at = Status.CANCELLED, created + dt.timedelta(minutes=rng.randint(10, 90))
            if t.closed_at <= self.now:
                t.response_due = self._due(created, response)
                t.resolution_due = self._due(created, resolution)
                self._event(t, "cancelled", t.closed_at, reporter or self.service.pk, note="不需要了")
                return t
            t.status, t.closed_at = Status.NEW, None
        start = created
        if rng.random() < REOPEN_SHARE and finish is None:
            # Fixed once, not fixed after all: the clocks counted again from the reopening.
            start = self._due(created, resolution * rng.uniform(0.5, 1.5))
            if start < self.now:
                t.reopened, t.clock_from = 1, start
                self._event(t, "revisit_reopened", start, self.service.pk, note="回访时业主反映仍有问题")
            else:
                start = created
        self._work(t, plan, start, response, resolution, finish)
        return t

    def _work(
        self,
        t: Ticket,
        plan: CategoryPlan,
        start: dt.datetime,
        response: int,
        resolution: int,
        finish: bool | None,
    ) -> None:
        rng = self.rng
        t.response_due, t.resolution_due = self._due(start, response), self._due(start, resolution)
        late = rng.random() < LATE_SHARE
        r_share = rng.uniform(1.1, 2.5) if rng.random() < RESPONSE_LATE_SHARE else rng.uniform(0.1, 0.85)
        accepted = self._due(start, response * r_share)
        f_share = rng.uniform(1.05, 2.2) if late else rng.uniform(0.25, 0.97)
        finished = self._due(start, max(resolution * f_share, response * r_share + 30))
        if finish is True:
            accepted, finished = min(accepted, self.now - dt.timedelta(hours=3)), self.now - dt.timedelta(hours=2)
        still_open = finished > self.now
        engineer = self._engineer(still_open)
        assigned = max(
            start + dt.timedelta(minutes=rng.randint(3, 25)), accepted - dt.timedelta(minutes=rng.randint(1, 20))
        )
        # Reported within the last business hour (or after hours, the office closed since): not dispatched yet.
        fresh = still_open and self.calendar.elapsed(start, self.now, []) < 60 and rng.random() < 0.7
        waiting = still_open and (fresh or (accepted > self.now and (assigned > self.now or rng.random() < 0.4)))
        if engineer is None or waiting:
            if engineer is not None:
                self.open_load[engineer.pk] -= 1
            t.status = Status.NEW
            self._sla_flags(t, start)
            return
        t.assignee_id = engineer.pk
        t.assigned_at = min(assigned, accepted)
        self._event(t, "assigned", t.assigned_at, self.service.pk, engineer=engineer.pk, before=None)
        if accepted > self.now:
            t.status = Status.ASSIGNED
            self._sla_flags(t, start)
            return
        t.accepted_at = accepted
        self._event(t, "accepted", accepted, engineer.pk)
        on_way = accepted + dt.timedelta(minutes=rng.randint(5, 40))
        if still_open:
            t.status = Status.ACCEPTED if on_way > self.now else rng.choice([Status.ON_THE_WAY, Status.IN_PROGRESS])
            if t.status != Status.ACCEPTED:
                self._event(t, "on_the_way", on_way, engineer.pk)
            self._sla_flags(t, start)
            return
        self._event(t, "started", min(on_way, finished), engineer.pk)
        if plan.paid:
            t.labour_fen = rng.choice([3000, 5000, 8000, 10000, 15000])
            if rng.random() < 0.6:
                name, price = rng.choice(MATERIALS)
                t.materials = [{"name": name, "quantity": rng.choice([1, 1, 2]), "price_fen": price}]
        t.status, t.finished_at = Status.COMPLETED, finished
        self._event(t, "finished", finished, engineer.pk, charge_fen=t.charge_fen if t.paid else 0)
        base = finished
        if plan.revisit == RevisitRule.LEAK:
            t.leak_tested_at = finished + dt.timedelta(hours=rng.randint(20, 30))
            if t.leak_tested_at > self.now:
                t.leak_tested_at = None
            else:
                self._event(t, "leak_tested", t.leak_tested_at, engineer.pk)
                base = t.leak_tested_at
                t.revisit_due = t.leak_tested_at + dt.timedelta(days=REVISIT_DAYS[RevisitRule.LEAK])
        else:
            t.revisit_due = finished + dt.timedelta(days=REVISIT_DAYS[RevisitRule(plan.revisit)])
        if t.reporter_id and finish is not True and rng.random() < 0.8:
            confirmed = finished + dt.timedelta(minutes=rng.randint(30, 20 * 60))
            if confirmed <= self.now:
                t.status, t.confirmed_at = Status.CONFIRMED, confirmed
                t.rating = _weighted(self.rng, RATINGS)
                t.rating_comment = rng.choice(["", "", "师傅很专业", "及时", "谢谢"]) if t.rating >= 4 else "等了很久"
                self._event(t, "confirmed", confirmed, t.reporter_id, rating=t.rating)
        if finish is True or (plan.revisit == RevisitRule.LEAK and t.leak_tested_at is None):
            return
        if rng.random() < 0.96:
            closed = base + dt.timedelta(minutes=rng.randint(60, 44 * 60))
            closed = max(closed, (t.confirmed_at or base) + dt.timedelta(minutes=30))
        else:
            closed = base + dt.timedelta(hours=rng.randint(50, 80))  # a late revisit
        if closed <= self.now:
            t.status, t.closed_at = Status.CLOSED, closed
            on_time = bool(t.revisit_due and closed <= t.revisit_due)
            self._event(t, "revisited", closed, self.service.pk, note="电话回访，业主满意", on_time=on_time)

    def _to_pool(self, t: Ticket) -> None:
        if t.assignee_id is not None:
            self.open_load[t.assignee_id] -= 1
        t.status, t.assignee_id, t.assigned_at, t.accepted_at = Status.NEW, None, None, None
        t._events = [e for e in t._events if e.kind in ("reported", "revisit_reopened")]  # type: ignore[attr-defined]
        self._sla_flags(t, t.clock_start)

    def _sla_flags(self, t: Ticket, start: dt.datetime) -> None:
        """What the SLA sweep would have flagged by now on an open ticket, and its next alert."""
        elapsed = self.calendar.elapsed(start, self.now, [])
        clocks = [("resolution", t.resolution_target)]
        if t.accepted_at is None:
            clocks.insert(0, ("response", t.response_target))
        alerted = []
        for clock, target in clocks:
            if elapsed >= target:
                alerted += [f"{clock}.near", f"{clock}.breach"]
            elif elapsed * 100 >= target * self.calendar.near_percent:
                alerted.append(f"{clock}.near")
        if t.accepted_at is not None and t.response_due and t.accepted_at > t.response_due:
            alerted += ["response.near", "response.breach"]
        t.alerted = alerted
        t.breached = any(a.endswith(".breach") for a in alerted)
        t.alert_at = next_alert_at(t, self.calendar, [])

    def _demo_resident(
        self, categories: list[tuple[CategoryPlan, RepairCategory]], home: tuple[Unit, Person], logins: dict[int, int]
    ) -> list[Ticket]:
        """陈业主's own: a leak fixed and rated last month, and a paid repair finished this morning, its charge
        waiting to be paid and the repair to be confirmed."""
        by_code = dict((p.code, (p, c)) for p, c in categories)
        today = self.now.astimezone(self.tz).date()
        out = []
        for code, day, finish in (
            ("leak", today - dt.timedelta(days=33), None),
            ("paid", today - dt.timedelta(days=1), True),
        ):
            plan, category = by_code[code]
            for _attempt in range(20):
                t = self._ticket(plan, category, day, [home], logins, [], [], home=home, finish=finish)
                if t.reporter_id and (finish or (t.status == Status.CLOSED and t.rating)):
                    break
            out.append(t)
        return out

    def _charges(self, paid: list[Ticket]) -> int:
        """The paid repairs of the last CHARGED_DAYS: their charge on the home's ledger; four in five paid."""
        cutoff = self.now - dt.timedelta(days=CHARGED_DAYS)
        made = 0
        units = {u.pk: u for u in Unit.objects.filter(pk__in={t.unit_id for t in paid if t.unit_id})}
        for t in sorted(paid, key=lambda x: x.finished_at or self.now):
            if t.finished_at is None or t.finished_at < cutoff or t.unit_id is None or t.charge_fen <= 0:
                continue
            unit = units[t.unit_id]
            day = t.finished_at.astimezone(self.tz).date()
            try:
                line = ledger.adhoc_charge_post(
                    unit=unit,
                    fee_item=repair_fee_item(unit.office_id),
                    amount=t.charge_fen,
                    description=f"维修 {t.code} {t.category.name}",
                    due_date=day,
                    by=None,
                    today=day,
                )
            except ApplicationError:
                continue
            Ticket.objects.filter(pk=t.pk).update(charge=line)
            made += 1
            paid_at = t.finished_at + dt.timedelta(hours=self.rng.randint(2, 48))
            if paid_at < self.now - dt.timedelta(days=1) and self.rng.random() < 0.8:
                with suppress(ApplicationError):  # a cashier's day closed: left owed
                    ledger.payment_record(
                        unit=unit,
                        amount=t.charge_fen,
                        method=self.rng.choice([Payment.Method.WECHAT, Payment.Method.ALIPAY, Payment.Method.CASH]),
                        line_ids=[line.pk],
                        received_at=paid_at,
                        recorded_by=self.service,
                        today=paid_at.astimezone(self.tz).date(),
                    )
        return made
