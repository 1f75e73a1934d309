"""The demo shop's last three months (社区商城, in each demo company's schema): a few hundred orders across the
approved merchants, in every state (most completed, some reviewed, rejected, cancelled, expired, and the last
days' still on the merchants' boards), a few refunds per line, a complaint, and settlement: the month before
last settled and paid by bank transfer, last month's statements issued and open.

Money goes through the services, so it is the product's own: each order is checked out (`flow.checkout`, its
lines charged on the home's ledger) and paid from money the home put on its prepaid balance that minute (one
payment, exactly the order's total: no credit is left over), which marks it paid and posts the merchant's sales
and commission on the payables ledger, dated the order's time; rejections, cancellations, expiries, refunds,
reviews, the complaint and the statements use their services too. Only the moves that carry no money (accept,
dispatch, deliver, complete) are written in bulk, dated along each order's path, since replaying hundreds of
notified and audited steps would only slow the seed down. Idempotent: a company that has orders older than
a day is left as it is."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backend.accounts.models import Membership, User
from backend.accounts.roles import Role
from backend.billing import ledger
from backend.billing.ledger_bulk import PaymentIn, payments_record_bulk
from backend.billing.models import BillLine, LedgerEntry, Payment
from backend.billing.selectors import payments_with_credit
from backend.properties.models import Occupancy, Person, Unit
from backend.properties.scope import Scope
from marketplace.aftersale_index.models import ReviewEntry, ReviewListing
from marketplace.models import Listing, ListingKind, ServiceSlot, Special
from marketplace.orders import complaints, flow, money, refunds, reviews
from marketplace.orders.flow import Item
from marketplace.orders.models import Order, OrderLine, OrderStatus, RefundRequest, Review
from marketplace.orders_index.models import MerchantOrder
from marketplace.settlement import payouts, statements
from marketplace.settlement.ledger import payables_record_order
from marketplace.visibility import visible_listings
from tenants.db import company_time_zone, connection

from .progress import Stage

DAYS = 90
SHOPPERS = 36

REVIEW_TEXTS = {
    5: ("很新鲜，送得也快，下次还买。", "师傅很专业，准时上门，好评！", "包装仔细，和描述一样。", ""),
    4: ("整体不错，就是比约定晚了一点。", "挺好的，价格再实惠点就更好了。", ""),
    3: ("一般吧，个头比图片小。", "服务还行，沟通不太顺畅。"),
    2: ("有两个坏的，联系后给补了。",),
    1: ("等了很久才送到，体验很差。",),
}
REJECT_REASONS = ("今天缺货，抱歉", "师傅这个时段排满了", "超出配送范围")
REFUND_REASONS = ("有几个压坏了", "少送了一份", "和描述不符")


@dataclass
class Plan:
    when: dt.datetime
    user: User
    unit: Unit
    items: list[Item]
    fate: str  # the status it ends in, or "refund" (completed, with a refund per line)
    service: bool = False
    order: Order | None = None


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def _shoppers(rng: random.Random, n: int) -> list[tuple[User, Unit]]:
    """Residents with a login (the demo resident, the clubhouse's households), topped up to `n` with logins
    (no password: they cannot sign in) for owners of other homes across the company's estates."""
    tenant = connection.tenant
    homes: list[tuple[User, Unit]] = []
    seen: set[int] = set()
    current = Occupancy.objects.filter(end_date__isnull=True)
    logins = current.filter(person__user__isnull=False).select_related("person__user", "unit__estate")
    for occ in logins.order_by("id"):
        user = occ.person.user
        if user is not None and user.pk not in seen and not payments_with_credit(occ.unit_id):
            seen.add(user.pk)
            homes.append((user, occ.unit))
    homes.sort(key=lambda home: not (home[0].email or "").startswith("resident@"))  # the demo resident first
    owners = list(
        current.filter(role="owner", person__user__isnull=True).select_related("person", "unit__estate").order_by("id")
    )
    rng.shuffle(owners)
    # Homes with prepaid credit (prepaid fees) would pay for the shop from it: others are chosen.
    owners = [occ for occ in owners[: n * 3] if not payments_with_credit(occ.unit_id)]
    unusable = make_password(None)
    for number, occ in enumerate(owners[: max(0, n - len(homes))], start=1):
        user = User.objects.create(
            email=f"shop{number:02d}@residents.{tenant.slug}.test", name=occ.person.name, phone=None, password=unusable
        )
        Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"roles": [Role.RESIDENT]})
        Person.objects.filter(pk=occ.person_id).update(user=user)
        homes.append((user, occ.unit))
    return homes[: max(n, 1)]


def _catalogue(estate_ids: set[int]) -> dict[int, dict[int, list[tuple[Listing, int | None]]]]:
    """Per estate, per merchant: what a home there can buy without choosing a time or a variant, and with no
    stock to count (services with open slots, variants and counted stock are left to live orders)."""
    slotted = set(ServiceSlot.objects.filter(is_active=True).values_list("listing_id", flat=True))
    offer: dict[int, dict[int, list[tuple[Listing, int | None]]]] = {}
    for estate_id in estate_ids:
        per: dict[int, list[tuple[Listing, int | None]]] = {}
        qs = visible_listings(tenant_id=connection.tenant.pk, estate_ids=[estate_id]).prefetch_related("variants")
        for listing in qs.filter(stock__isnull=True).exclude(pk__in=slotted):
            if not any(v.is_active for v in listing.variants.all()):
                per.setdefault(listing.merchant_id, []).append((listing, None))
        offer[estate_id] = {m: rows for m, rows in per.items() if rows}
    return offer


def _fate(rng: random.Random, age: dt.timedelta) -> str:
    days = age.total_seconds() / 86400
    if days < 3:
        return rng.choices(["paid", "accepted", "dispatched", "delivered"], [4, 3, 2, 1])[0]
    if days < 12:
        return rng.choices(["completed", "delivered", "dispatched", "rejected"], [6, 3, 1, 0.3])[0]
    return rng.choices(["completed", "rejected", "cancelled", "expired", "refund"], [86, 5, 4, 2, 3])[0]


def _plans(rng: random.Random, count: int, now: dt.datetime, tz: dt.tzinfo) -> list[Plan]:
    homes = _shoppers(rng, SHOPPERS)
    offer = _catalogue({unit.estate_id for _user, unit in homes})
    plans: list[Plan] = []
    for _ in range(count):
        user, unit = homes[0] if rng.random() < 0.06 else rng.choice(homes)  # the demo resident shops too
        merchants = offer.get(unit.estate_id) or {}
        if not merchants:
            continue
        rows = merchants[rng.choice(sorted(merchants))]
        picked = rng.sample(rows, min(len(rows), rng.choices([1, 2, 3], [6, 3, 1])[0]))
        items = [
            Item(listing.pk, 1 if listing.kind == ListingKind.SERVICE else rng.choice([1, 1, 2, 3]), variant)
            for listing, variant in picked
        ]
        day = (now - dt.timedelta(days=rng.uniform(0, DAYS))).astimezone(tz)
        when = day.replace(hour=rng.choice([8, 9, 10, 11, 12, 15, 17, 18, 19, 20, 21]), minute=rng.randrange(60))
        if when >= now - dt.timedelta(minutes=30):
            when = now - dt.timedelta(minutes=rng.randint(30, 300))
        service = any(listing.kind == ListingKind.SERVICE for listing, _variant in picked)
        plans.append(Plan(when, user, unit, items, _fate(rng, now - when), service))
    plans.sort(key=lambda p: p.when)
    return plans


class Shop:
    """What pricing a line needs, read once: listings (with category and merchant), the month's specials, the
    company's commission per category, the shop fee item per office, each shopper's contact."""

    def __init__(self) -> None:
        self.listings = {li.pk: li for li in Listing.objects.select_related("category", "merchant")}
        self.specials = {(sp.listing_id, sp.month): sp.price_fen for sp in Special.objects.all()}
        self.rates: dict[str, int] = {}
        self.fee_items: dict[int, int] = {}
        self.contacts: dict[int, tuple[str, str]] = {}

    def price(self, listing: Listing, when: dt.datetime) -> int:
        month = timezone.localdate(when).replace(day=1)
        return self.specials.get((listing.pk, month), listing.price_fen)  # as flow's pricing: the month's special

    def rate(self, code: str) -> int:
        if code not in self.rates:
            self.rates[code] = flow.commission_bp(code)
        return self.rates[code]

    def fee_item(self, office_id: int) -> int:
        if office_id not in self.fee_items:
            self.fee_items[office_id] = money.shop_fee_item(office_id).pk
        return self.fee_items[office_id]

    def contact(self, user: User, unit: Unit) -> tuple[str, str]:
        if user.pk not in self.contacts:
            self.contacts[user.pk] = flow.contact_of(user, unit)
        return self.contacts[user.pk]


def _day_orders(shop: Shop, plans: list[Plan], rng: random.Random) -> None:
    """One day's checkouts in bulk, as flow.checkout writes them: each order with its lines' snapshots (price,
    the category's commission), each line charged on the home's ledger (a bill line and its charge entry);
    then the day's payments through billing's bulk path (settling exactly what each home owes: those orders),
    the paid orders' sales and commission posted on the payables ledger and their rows in the merchants'
    index; expiries, rejections and cancellations through their services."""
    tenant_id = connection.tenant.pk
    # Homes that owe something else pay exactly their order's lines; the others' payments settle what they owe,
    # which is then that day's orders, through billing's bulk path.
    owing = set(
        BillLine.objects.filter(unit_id__in={p.unit.pk for p in plans}, outstanding__gt=0).values_list(
            "unit_id", flat=True
        )
    )
    orders: list[Order] = []
    rows: list[tuple[Plan, Order, list[OrderLine]]] = []
    for plan in plans:
        name, phone = shop.contact(plan.user, plan.unit)
        first = shop.listings[plan.items[0].listing_id]
        is_paid = plan.fate != "expired"
        order = Order(
            code=f"SO{plan.when:%y%m%d}{rng.getrandbits(32):08X}",
            user=plan.user,
            unit=plan.unit,
            merchant_id=first.merchant_id,
            merchant_name=first.merchant.name,
            contact_name=name[:100],
            contact_phone=phone[:30],
            unit_label=f"{plan.unit.estate.name} {plan.unit}"[:120],
            status=OrderStatus.PAID if is_paid else OrderStatus.PENDING_PAYMENT,
            paid_at=plan.when + dt.timedelta(minutes=1) if is_paid else None,
            expires_at=plan.when + dt.timedelta(minutes=flow.pay_minutes()),
            total_fen=0,
        )
        lines = []
        for item in plan.items:
            listing = shop.listings[item.listing_id]
            unit_price = shop.price(listing, plan.when)
            bp = shop.rate(listing.category.code)
            amount = unit_price * item.quantity
            lines.append(
                OrderLine(
                    listing_id=listing.pk,
                    kind=listing.kind,
                    title=listing.title,
                    unit_price_fen=unit_price,
                    quantity=item.quantity,
                    amount_fen=amount,
                    category_code=listing.category.code,
                    commission_bp=bp,
                    commission_fen=flow.commission_of(amount, bp),
                )
            )
        order.total_fen = sum(li.amount_fen for li in lines)
        order.commission_fen = sum(li.commission_fen for li in lines)
        orders.append(order)
        rows.append((plan, order, lines))
    Order.objects.bulk_create(orders)
    day = timezone.localdate(plans[0].when)
    charges = []
    for _plan, order, lines in rows:
        for line in lines:
            line.order = order
            charges.append(
                BillLine(
                    unit_id=order.unit_id,
                    fee_item_id=shop.fee_item(order.unit.office_id),
                    kind=BillLine.Kind.ADHOC,
                    period_start=day,
                    period_end=day,
                    amount=line.amount_fen,
                    description=f"{order.merchant_name}: {line.title} × {line.quantity} [{order.code}]"[:200],
                    due_date=day,
                )
            )
    BillLine.objects.bulk_create(charges)
    all_lines = [line for _p, _o, lines in rows for line in lines]
    for line, charge in zip(all_lines, charges, strict=True):
        line.charge = charge
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(unit_id=c.unit_id, kind=LedgerEntry.Kind.CHARGE, amount=c.amount, bill_line=c, occurred_on=day)
            for c in charges
        ]
    )
    OrderLine.objects.bulk_create(all_lines)
    for plan, order, _lines in rows:
        plan.order = order
        if plan.fate == "expired":
            flow.orders_expire(now=order.expires_at + dt.timedelta(minutes=1))
    paid = [(plan, order) for plan, order, _l in rows if order.paid_at is not None]
    payments_record_bulk(
        payments=[
            PaymentIn(
                unit_id=order.unit_id,
                amount=order.total_fen,
                method=Payment.Method.WECHAT,
                received_at=plan.when,
                note=f"商城订单 {order.code}",
            )
            for plan, order in paid
            if order.unit_id not in owing
        ],
        recorded_by=None,
        today=day,
        audit_repr="shop orders (demo)",
    )
    for plan, order, lines in rows:
        if order.paid_at is not None and order.unit_id in owing:
            ledger.payment_record(
                unit=plan.unit,
                amount=order.total_fen,
                method=Payment.Method.WECHAT,
                line_ids=[li.charge_id for li in lines if li.charge_id],
                note=f"商城订单 {order.code}",
                received_at=plan.when,
                today=day,
            )
    for _plan, order in paid:
        payables_record_order(order, now=order.paid_at)
    MerchantOrder.objects.bulk_create(
        [
            MerchantOrder(
                merchant_id=order.merchant_id,
                tenant_id=tenant_id,
                order_id=order.pk,
                code=order.code,
                status=order.status,
                total_fen=order.total_fen,
                commission_fen=order.commission_fen,
                paid_at=order.paid_at or plan.when,
            )
            for plan, order in paid
        ]
    )
    for plan, order in paid:
        later = plan.when + dt.timedelta(minutes=20)
        if plan.fate == "rejected":
            reason = rng.choice(REJECT_REASONS)
            flow.order_reject(order_id=order.pk, merchant_id=order.merchant_id, reason=reason, by=None, now=later)
        elif plan.fate == "cancelled":
            flow.order_cancel(order_id=order.pk, user=plan.user, now=later)


def _moves(plans: list[Plan], now: dt.datetime, rng: random.Random) -> None:
    """Accept → dispatch → deliver → complete, in bulk, each step dated along the order's path (never later
    than now); completed orders keep their stock (sold) and count as sales, as order_confirm does."""
    steps = {"accepted": 1, "dispatched": 2, "delivered": 3, "completed": 4, "refund": 4}
    changed: list[Order] = []
    sold: dict[int, int] = {}
    for plan in plans:
        order, depth = plan.order, steps.get(plan.fate, 0)
        if order is None or depth == 0 or order.status != OrderStatus.PAID:
            continue
        at = order.paid_at or plan.when
        times = []
        for gap in (rng.randint(5, 90), rng.randint(10, 240), rng.randint(30, 600), rng.randint(600, 4000)):
            at = min(at + dt.timedelta(minutes=gap), now)
            times.append(at)
        order.accepted_at = times[0]
        order.status = OrderStatus.ACCEPTED
        if depth >= 2:
            order.dispatched_at = times[1]
            order.status = OrderStatus.IN_SERVICE if plan.service else OrderStatus.IN_DELIVERY
        if depth >= 3:
            order.delivered_at, order.status = times[2], OrderStatus.DELIVERED
        if depth >= 4:
            order.completed_at = order.closed_at = times[3]
            order.status, order.reserved = OrderStatus.COMPLETED, False
            for item in plan.items:
                sold[item.listing_id] = sold.get(item.listing_id, 0) + 1
        changed.append(order)
    fields = ["status", "accepted_at", "dispatched_at", "delivered_at", "completed_at", "closed_at", "reserved"]
    Order.objects.bulk_update(changed, fields, batch_size=500)
    entries = {
        e.order_id: e
        for e in MerchantOrder.objects.filter(tenant_id=connection.tenant.pk, order_id__in=[o.pk for o in changed])
    }
    for order in changed:
        if order.pk in entries:
            entries[order.pk].status = order.status
    MerchantOrder.objects.bulk_update(list(entries.values()), ["status"], batch_size=500)
    for listing_id, n in sold.items():
        Listing.objects.filter(pk=listing_id).update(sales=F("sales") + n)


def _aftersale(plans: list[Plan], rng: random.Random, now: dt.datetime, tally: Tally) -> None:
    """Reviews of about half the completed orders (through the review service, then dated when they were
    written), refunds per line on a few (asked, and approved in part by the merchant), and a complaint."""
    done = [p for p in plans if p.order is not None and p.fate in ("completed", "refund")]
    for plan in [p for p in done if p.fate == "refund"]:
        assert plan.order is not None
        line = plan.order.lines.order_by("id").first()
        if line is None or plan.order.delivered_at is None:
            continue
        asked = plan.order.delivered_at + dt.timedelta(hours=5)
        req = refunds.refund_request_create(
            user=plan.user,
            order_id=plan.order.pk,
            line_id=line.pk,
            amount_fen=max(1, line.amount_fen // 2),
            reason=rng.choice(REFUND_REASONS),
            now=asked,
        )
        refunds.refund_merchant_decide(
            request_id=req.pk, merchant_id=plan.order.merchant_id, approve=True, by=None, now=asked
        )
        RefundRequest.objects.filter(pk=req.pk).update(created_at=asked)
        tally.add("refund")
    _reviews([p for p in done if p.order is not None and p.order.completed_at is not None], rng, now, tally)
    _complaint(done, now, tally)


def _reviews(done: list[Plan], rng: random.Random, now: dt.datetime, tally: Tally) -> None:
    """About half the completed orders reviewed, a day or two after completion, written in bulk as
    reviews.review_create does (the review, the order reviewed, the merchant's index rows with the stars per
    listing), then the listings' and merchants' ratings recomputed once per merchant by the review service's
    own function."""
    tenant_id = connection.tenant.pk
    chosen = [p for p in done if rng.random() < 0.5]
    written: list[tuple[Plan, Review]] = []
    for plan in chosen:
        order = plan.order
        assert order is not None and order.completed_at is not None
        stars = rng.choices([5, 4, 3, 2, 1], [55, 25, 10, 6, 4])[0]
        review = Review(order=order, user=plan.user, merchant_id=order.merchant_id, stars=stars)
        review.text = rng.choice(REVIEW_TEXTS[stars])
        written.append((plan, review))
    Review.objects.bulk_create([r for _p, r in written])
    for plan, review in written:
        assert plan.order is not None and plan.order.completed_at is not None
        review.created_at = min(plan.order.completed_at + dt.timedelta(hours=rng.randint(1, 48)), now)
        plan.order.status = OrderStatus.REVIEWED
    Review.objects.bulk_update([r for _p, r in written], ["created_at"], batch_size=500)
    Order.objects.filter(pk__in=[r.order_id for _p, r in written]).update(status=OrderStatus.REVIEWED)
    entries = MerchantOrder.objects.filter(tenant_id=tenant_id, order_id__in=[r.order_id for _p, r in written])
    entries.update(status=OrderStatus.REVIEWED)
    by_order = {e.order_id: e for e in entries}
    index = ReviewEntry.objects.bulk_create(
        [
            ReviewEntry(
                merchant_id=r.merchant_id,
                tenant_id=tenant_id,
                review_id=r.pk,
                order_entry=by_order[r.order_id],
                code=by_order[r.order_id].code,
                stars=r.stars,
                created_at=r.created_at,
            )
            for _p, r in written
        ]
    )
    listings: dict[int, set[int]] = {}
    stars_of = []
    for entry, (plan, _review) in zip(index, written, strict=True):
        for listing_id in sorted({i.listing_id for i in plan.items}):
            stars_of.append(ReviewListing(review=entry, listing_id=listing_id, stars=entry.stars))
            listings.setdefault(entry.merchant_id, set()).add(listing_id)
    ReviewListing.objects.bulk_create(stars_of)
    for merchant_id, ids in sorted(listings.items()):
        reviews.ratings_recompute(listing_ids=ids, merchant_id=merchant_id)
    tally.add("review", len(written))


def _complaint(done: list[Plan], now: dt.datetime, tally: Tally) -> None:
    """The demo resident's complaint about a merchant they bought from, being looked into by customer service."""
    mine = [p for p in done if p.order is not None and (p.user.email or "").startswith("resident@")]
    plan = mine[-1] if mine else (done[-1] if done else None)
    if plan is None or plan.order is None:
        return
    complaint = complaints.complaint_create(
        user=plan.user,
        merchant_id=plan.order.merchant_id,
        order_id=plan.order.pk,
        unit_id=plan.unit.pk,
        subject="配送员态度差，东西放在门口就走",
        text="送货时没有敲门，东西直接放在门口，打电话也不接。希望物业督促商家改进。",
    )
    desk = (
        Membership.objects.filter(tenant=connection.tenant, roles__contains=[Role.CUSTOMER_SERVICE], is_active=True)
        .select_related("user")
        .first()
    )
    complaints.complaint_take(complaint_id=complaint.pk, by=desk.user if desk else None, scope=Scope.everything())
    tally.add("complaint")


def _settlement(now: dt.datetime, tally: Tally) -> None:
    """The month before last: every merchant's statement issued, confirmed by the merchant and paid by bank
    transfer. Last month: issued, waiting for the merchant and finance."""
    this_month = timezone.localdate(now).replace(day=1)
    last = (this_month - dt.timedelta(days=1)).replace(day=1)
    before = (last - dt.timedelta(days=1)).replace(day=1)
    finance = (
        Membership.objects.filter(tenant=connection.tenant, roles__contains=[Role.FINANCE], is_active=True)
        .select_related("user")
        .first()
    )
    for statement in statements.statements_build_month(month=before, now=now):
        if statement.due_fen > 0:
            statements.statement_confirm(statement_id=statement.pk, merchant_id=statement.merchant_id, user_id=None)
            payouts.payout_record_bank(
                statement_id=statement.pk,
                reference=f"BK{before:%Y%m}{statement.merchant_id:04d}",
                by=finance.user if finance else None,
            )
            tally.add("statement paid")
    tally.add("statement open", len(statements.statements_build_month(month=last, now=now)))


def _replay(orders: int, seed: int, tally: Tally) -> list[Plan]:
    """The three months, in date order; returns the plans that became orders."""
    rng = random.Random(seed)
    now = timezone.now()
    tz = company_time_zone()
    plans = _plans(rng, orders, now, tz)
    shop = Shop()
    by_day: dict[dt.date, list[Plan]] = {}
    for plan in plans:
        by_day.setdefault(timezone.localdate(plan.when), []).append(plan)
    for day in sorted(by_day):
        _day_orders(shop, by_day[day], rng)
    made = [p for p in plans if p.order is not None]
    ids = {p.order.pk: p.when for p in made if p.order is not None}
    fresh = Order.objects.in_bulk(list(ids))
    for order in fresh.values():
        order.created_at = ids[order.pk]  # checked out then (the field's default is the seeding's now)
    Order.objects.bulk_update(list(fresh.values()), ["created_at"], batch_size=500)
    for plan in made:
        if plan.order is not None:
            plan.order = fresh[plan.order.pk]
    _moves(plans, now, rng)
    _aftersale(plans, rng, now, tally)
    _settlement(now, tally)
    return made


def demo_shop_orders_seed(*, orders: int, stage: Stage | None = None, seed: int = 15) -> int:
    """Three months of this company's shop (see the module docstring); returns how many orders were made."""
    # Seeded before: orders older than a day (the group-buy demo's joins are from today).
    if Order.objects.filter(created_at__lt=timezone.now() - dt.timedelta(days=1)).exists():
        if stage is not None:
            stage.note("already seeded")
        return 0
    tally = Tally()
    # All or nothing: a seed that fails half-way leaves no orders, so running it again starts afresh.
    with transaction.atomic():
        made = _replay(orders, seed, tally)
    if stage is not None:
        stage.count(len(made), "order")
        for key, plural in (
            ("review", ""),
            ("refund", ""),
            ("complaint", ""),
            ("statement paid", "statements paid"),
            ("statement open", "statements open"),
        ):
            stage.count(tally.counts.get(key, 0), key, plural)
    return len(made)
