"""Hand-made shop-platform exports for the adapter tests, written the way the platforms write them.

Each generator draws orders from a seeded random model (the truth the tests compute their expected figures from,
never through the adapter) and writes them in the platform's export format with its quirks:

- Taobao / Tmall (seller centre, 已卖出的宝贝): ExportOrderList<yyyyMMddHHmm>.csv + ExportOrderDetailList<...>.csv, GBK,
  CRLF, order numbers as ="...", phones with a leading ', some amounts with 元, full-width commas in status texts,
  the real column lists (most columns unused by the adapter, present as in the download).
- Shopify (Admin → Orders → Export): orders_export_<n>.csv, UTF-8, one row per line item, order fields on the
  first row of an order only, timestamps with UTC offsets.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

CENT = Decimal("0.01")

TAOBAO_ORDER_HEADER = (
    "订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,买家支付积分,总金额,返点积分,买家实际支付金额,"
    "买家实际支付积分,订单状态,买家留言,收货人姓名,收货地址,运送方式,联系电话,联系手机,订单创建时间,订单付款时间,"
    "宝贝标题,宝贝种类,物流单号,物流公司,订单备注,宝贝总数量,店铺Id,店铺名称,订单关闭原因,卖家服务费,买家服务费,"
    "发票抬头,是否手机订单,分阶段订单信息,特权订金订单id,是否上传合同照片,是否上传小票,是否代付,定金排名,修改后的sku,"
    "修改后的收货地址,异常信息,天猫卡券抵扣,集分宝抵扣,是否是O2O交易,退款金额,预约门店"
).split(",")
TAOBAO_DETAIL_HEADER = (
    "订单编号,标题,价格,购买数量,外部系统编号,商品属性,套餐信息,备注,订单状态,商家编码,退款状态".split(",")
)

PROVINCES = (
    ("浙江省", "杭州市", "西湖区 文三路 90号"),
    ("江苏省", "南京市", "鼓楼区 中山北路 8号"),
    ("广东省", "深圳市", "南山区 科技园 1栋"),
    ("上海", "上海市", "浦东新区 世纪大道 100号"),
    ("四川省", "成都市", "武侯区 人民南路 4段"),
)
TB_PRODUCTS = (  # (商家编码 or '' when the seller left it empty, title, attributes, list price)
    ("BAG-TOTE-01", "真皮托特包 大容量通勤", "颜色分类:黑色", Decimal("899.00")),
    ("BAG-TOTE-02", "真皮托特包 大容量通勤", "颜色分类:焦糖色", Decimal("899.00")),
    ("BAG-CROSS-01", "小方包 斜挎 百搭", "颜色分类:白色", Decimal("459.00")),
    ("BAG-CROSS-02", "小方包 斜挎 百搭", "颜色分类:酒红", Decimal("459.00")),
    ("WAL-LONG-01", "长款钱包 牛皮", "颜色分类:棕色", Decimal("239.90")),
    ("WAL-SHORT-01", "短款钱包 零钱包", "颜色分类:粉色", Decimal("129.50")),
    ("", "手工编织包 限量", "颜色分类:原色", Decimal("1299.00")),
    ("BELT-01", "头层牛皮腰带", "尺码:110cm", Decimal("199.00")),
)


@dataclass
class TaobaoLine:
    sku: str
    title: str
    attributes: str
    price: Decimal
    quantity: int
    refund_state: str = "没有申请退款"


@dataclass
class TaobaoOrder:
    number: str
    nick: str
    created: dt.datetime
    status_text: str
    lines: list[TaobaoLine]
    postage: Decimal
    goods: Decimal  # 买家应付货款: after the shop's discounts
    paid_at: dt.datetime | None
    address: tuple[str, str, str]
    phone: str
    shop: str
    close_reason: str = ""
    refund: Decimal = Decimal("0")

    @property
    def list_total(self) -> Decimal:
        return sum((line.price * line.quantity for line in self.lines), Decimal("0"))

    @property
    def paid(self) -> Decimal:
        return self.goods + self.postage if self.paid_at else Decimal("0")

    @property
    def status(self) -> str | None:
        """What the warehouse must make of it: paid / cancelled / refunded, None (unpaid: not a sale)."""
        if self.status_text == "等待买家付款":
            return None
        if self.status_text == "交易关闭":
            return "refunded" if self.paid_at else "cancelled"
        if self.status_text.startswith("付款以后用户退款成功"):
            return "refunded"
        if all(line.refund_state == "退款成功" for line in self.lines):
            return "refunded"
        return "paid"

    @property
    def net(self) -> Decimal:
        """Goods revenue: what was paid minus postage."""
        return self.goods if self.status == "cancelled" else self.paid - self.postage


# 订单状态 texts and how often they come up (full-width commas as the export writes them)
TB_STATUSES = (
    ("交易成功", 60),
    ("买家已付款，等待卖家发货", 8),
    ("卖家已发货，等待买家确认", 8),
    ("交易关闭 unpaid", 6),
    ("交易关闭 refunded", 5),
    ("付款以后用户退款成功，交易自动关闭", 3),
    ("等待买家付款", 6),
    ("交易成功 lines refunded", 4),
)


def taobao_orders(seed: int = 7, count: int = 240, first_day: dt.date = dt.date(2024, 6, 1), days: int = 20):
    """`count` Taobao orders of ~70 buyers over `days` days from `first_day`."""
    rnd = random.Random(seed)
    nicks = [f"买家{i:03d}" for i in range(40)] + [f"tb{rnd.randrange(10**8, 10**9)}" for _ in range(30)]
    shops = ("皮匠旗舰店", "皮匠旗舰店", "皮匠旗舰店", "皮匠官方企业店")
    kinds = [k for k, w in TB_STATUSES for _ in range(w)]
    orders = []
    for i in range(count):
        created = dt.datetime.combine(first_day, dt.time(8)) + dt.timedelta(
            minutes=rnd.randrange(days * 24 * 60 - 8 * 60)
        )
        lines = []
        for product in rnd.sample(TB_PRODUCTS, rnd.choice((1, 1, 1, 2, 3))):
            lines.append(TaobaoLine(product[0], product[1], product[2], product[3], rnd.choice((1, 1, 1, 2))))
        kind = rnd.choice(kinds)
        text = kind.split(" ")[0]
        paid_at = (
            None
            if kind in ("交易关闭 unpaid", "等待买家付款")
            else created + dt.timedelta(minutes=rnd.randrange(1, 90))
        )
        list_total = sum((line.price * line.quantity for line in lines), Decimal("0"))
        discount = (list_total * Decimal(rnd.choice(("0", "0", "0.05", "0.1", "0.2")))).quantize(CENT)
        order = TaobaoOrder(
            number=str(1930679858170647 + i * 7919),
            nick=rnd.choice(nicks),
            created=created,
            status_text=text,
            lines=lines,
            postage=rnd.choice((Decimal("0"), Decimal("0"), Decimal("8.00"), Decimal("12.50"))),
            goods=list_total - discount,
            paid_at=paid_at,
            address=rnd.choice(PROVINCES),
            phone=f"1{rnd.randrange(3, 9)}{rnd.randrange(10**8, 10**9)}",
            shop=rnd.choice(shops),
        )
        if kind == "交易关闭 refunded":
            order.close_reason, order.refund = "买家申请退款", order.goods + order.postage
        if kind == "交易成功 lines refunded":
            for line in lines:
                line.refund_state = "退款成功"
        orders.append(order)
    return orders


def _money(value: Decimal, rnd: random.Random) -> str:
    text = f"{value:.2f}"
    return text + "元" if rnd.random() < 0.2 else text


def write_taobao(
    folder: Path,
    orders: list[TaobaoOrder],
    stamp: str = "202406210930",
    encoding: str = "gbk",
    details: bool = True,
    seed: int = 1,
) -> tuple[Path, Path | None]:
    """The order export (and the order-detail export) of `orders` in `folder`, named with the export time `stamp`."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TAOBAO_ORDER_HEADER)
    for o in orders:
        province, city, street = o.address
        row = dict.fromkeys(TAOBAO_ORDER_HEADER, "")
        row.update(
            {
                "订单编号": f'="{o.number}"',
                "买家会员名": o.nick,
                "买家支付宝账号": "**",
                "买家应付货款": _money(o.goods, rnd),
                "买家应付邮费": _money(o.postage, rnd),
                "买家支付积分": "0",
                "总金额": _money(o.goods + o.postage, rnd),
                "返点积分": "0",
                "买家实际支付金额": _money(o.paid, rnd),
                "买家实际支付积分": "0",
                "订单状态": o.status_text,
                "收货人姓名": "张*",
                "收货地址": f"{province} {city} {street}({rnd.randrange(100000, 999999)})",
                "运送方式": "快递",
                "联系手机": f"'{o.phone}",
                "订单创建时间": o.created.strftime("%Y-%m-%d %H:%M:%S"),
                "订单付款时间": o.paid_at.strftime("%Y-%m-%d %H:%M:%S") if o.paid_at else "",
                "宝贝标题": "，".join(line.title for line in o.lines),
                "宝贝种类": str(len(o.lines)),
                "宝贝总数量": str(sum(line.quantity for line in o.lines)),
                "店铺Id": "0",
                "店铺名称": o.shop,
                "订单关闭原因": o.close_reason or ("未关闭" if o.status_text != "交易关闭" else "买家不想买了"),
                "是否手机订单": "手机订单",
                "退款金额": _money(o.refund, rnd),
            }
        )
        writer.writerow(row.values())
    order_path = folder / f"ExportOrderList{stamp}.csv"
    order_path.write_bytes(out.getvalue().encode(encoding))
    if not details:
        return order_path, None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TAOBAO_DETAIL_HEADER)
    for o in orders:
        for line in o.lines:
            writer.writerow(
                [
                    f'="{o.number}"',
                    line.title,
                    f"{line.price:.2f}",
                    str(line.quantity),
                    line.sku,
                    line.attributes,
                    "",
                    "",
                    o.status_text,
                    line.sku,
                    line.refund_state,
                ]
            )
    detail_path = folder / f"ExportOrderDetailList{stamp}.csv"
    detail_path.write_bytes(out.getvalue().encode(encoding))
    return order_path, detail_path


@dataclass
class Expected:
    customers: int  # every buyer with an order loaded (dim_customers: customers ever seen)
    buyers: int  # of whom with a paid order
    revenue: Decimal
    paid_orders: int
    orders_by_status: dict[str, int] = field(default_factory=dict)


def taobao_expected(orders: list[TaobaoOrder]) -> Expected:
    """The figures the marts must show, from the model (not through the adapter)."""
    paid = [o for o in orders if o.status == "paid"]
    by_status: dict[str, int] = {}
    for o in orders:
        if o.status:
            by_status[o.status] = by_status.get(o.status, 0) + 1
    return Expected(
        customers=len({o.nick for o in orders if o.status}),
        buyers=len({o.nick for o in paid}),
        revenue=sum((o.net for o in paid), Decimal("0")),
        paid_orders=len(paid),
        orders_by_status=by_status,
    )


SHOPIFY_HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,"
    "Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,"
    "Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,Lineitem taxable,"
    "Lineitem fulfillment status,Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,"
    "Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,"
    "Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,Shipping Province,"
    "Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,Payment Method,Payment Reference,"
    "Refunded Amount,Vendor,Outstanding Balance,Employee,Location,Device ID,Id,Tags,Risk Level,Source,"
    "Lineitem discount,Tax 1 Name,Tax 1 Value,Phone,Receipt Number,Duties,Billing Province Name,"
    "Shipping Province Name,Payment ID,Payment Terms Name,Next Payment Due At,Payment References"
).split(",")
SH_PRODUCTS = (  # (sku or '' when the shop left it empty, name, price, compare-at price or None)
    ("TOTE-BLK", "Leather Tote - Black", Decimal("189.00"), None),
    ("TOTE-TAN", "Leather Tote - Tan", Decimal("189.00"), Decimal("229.00")),
    ("CROSS-WHT", "Mini Crossbody - White", Decimal("95.50"), None),
    ("WALLET-01", "Zip Wallet", Decimal("47.80"), Decimal("59.00")),
    ("", "Gift wrapping sleeve", Decimal("5.00"), None),
    ("BELT-110", "Belt 110 cm", Decimal("39.90"), None),
)
SH_PLACES = (("NY", "New York"), ("CA", "Los Angeles"), ("ON", "Toronto"), ("TX", "Austin"), ("", ""))
SH_STATUSES = (
    ("paid", 70),
    ("partially_refunded", 5),
    ("refunded", 8),
    ("voided", 5),
    ("pending", 7),
    ("authorized", 5),
)
SH_OFFSETS = ("-0400", "-0500", "+0000", "+0800")


@dataclass
class ShopifyOrder:
    name: str
    email: str
    created: dt.datetime  # aware
    financial_status: str
    lines: list[tuple[str, str, Decimal, Decimal | None, int]]  # sku, name, price, compare at, quantity
    discount: Decimal
    province: str
    city: str
    cancelled: bool = False

    @property
    def subtotal(self) -> Decimal:
        return sum((price * qty for _, _, price, _, qty in self.lines), Decimal("0")) - self.discount

    @property
    def status(self) -> str | None:
        if self.financial_status == "refunded":
            return "refunded"
        if self.cancelled or self.financial_status == "voided":
            return "cancelled"
        if self.financial_status in ("paid", "partially_refunded"):
            return "paid"
        return None

    def day(self, shop_tz: str) -> dt.date:
        from zoneinfo import ZoneInfo

        return self.created.astimezone(ZoneInfo(shop_tz)).date()


def shopify_orders(seed: int = 11, count: int = 150, first_day: dt.date = dt.date(2024, 6, 1), days: int = 15):
    rnd = random.Random(seed)
    emails = [f"buyer{i}@example.com" for i in range(50)]
    kinds = [k for k, w in SH_STATUSES for _ in range(w)]
    orders = []
    for i in range(count):
        offset = rnd.choice(SH_OFFSETS)
        tz = dt.timezone(dt.timedelta(hours=int(offset[:3]), minutes=int(offset[0] + offset[3:])))
        created = dt.datetime.combine(first_day, dt.time(0), tz) + dt.timedelta(minutes=rnd.randrange(days * 24 * 60))
        lines = [
            (sku, name, price, compare, rnd.choice((1, 1, 2)))
            for sku, name, price, compare in rnd.sample(SH_PRODUCTS, rnd.choice((1, 1, 2, 3)))
        ]
        gross = sum((price * qty for _, _, price, _, qty in lines), Decimal("0"))
        discount = (gross * Decimal(rnd.choice(("0", "0", "0.1", "0.15")))).quantize(CENT)
        place = rnd.choice(SH_PLACES)
        email = rnd.choice(emails)
        orders.append(
            ShopifyOrder(
                name=f"#{1001 + i}",
                email=email.upper() if rnd.random() < 0.1 else email,  # the same buyer, typed in capitals
                created=created,
                financial_status=rnd.choice(kinds),
                lines=lines,
                discount=discount,
                province=place[0],
                city=place[1],
            )
        )
        if orders[-1].financial_status == "voided":
            orders[-1].cancelled = True
    return orders


def write_shopify(folder: Path, orders: list[ShopifyOrder], name: str = "orders_export_1.csv") -> Path:
    """The Admin export: one row per line item, order fields on the first row of each order only."""
    folder.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SHOPIFY_HEADER)
    for o in orders:
        for n, (sku, title, price, compare, qty) in enumerate(o.lines):
            row = dict.fromkeys(SHOPIFY_HEADER, "")
            row.update(
                {
                    "Name": o.name,
                    "Created at": o.created.strftime("%Y-%m-%d %H:%M:%S %z"),
                    "Lineitem quantity": str(qty),
                    "Lineitem name": title,
                    "Lineitem price": f"{price:.2f}",
                    "Lineitem compare at price": f"{compare:.2f}" if compare else "",
                    "Lineitem sku": sku,
                    "Lineitem requires shipping": "true",
                    "Lineitem taxable": "true",
                    "Lineitem fulfillment status": "pending",
                    "Vendor": "Atelier",
                }
            )
            if n == 0:
                paid = o.financial_status in ("paid", "partially_refunded", "refunded")
                row.update(
                    {
                        "Email": o.email,
                        "Financial Status": o.financial_status,
                        "Paid at": o.created.strftime("%Y-%m-%d %H:%M:%S %z") if paid else "",
                        "Currency": "USD",
                        "Subtotal": f"{o.subtotal:.2f}",
                        "Shipping": "10.00",
                        "Taxes": "0.00",
                        "Total": f"{o.subtotal + 10:.2f}",
                        "Discount Code": "SUMMER10" if o.discount else "",
                        "Discount Amount": f"{o.discount:.2f}",
                        "Billing City": o.city,
                        "Billing Province": o.province,
                        "Billing Country": "US",
                        "Billing Phone": "+1 212 555 0100",
                        "Cancelled at": o.created.strftime("%Y-%m-%d %H:%M:%S %z") if o.cancelled else "",
                        "Refunded Amount": f"{o.subtotal:.2f}" if o.financial_status == "refunded" else "0.00",
                        "Id": str(5000000000 + int(o.name[1:])),
                        "Source": "web",
                    }
                )
            writer.writerow(row.values())
    path = folder / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def shopify_expected(orders: list[ShopifyOrder]) -> Expected:
    loaded = [o for o in orders if o.status]
    paid = [o for o in loaded if o.status == "paid"]
    by_status: dict[str, int] = {}
    for o in loaded:
        by_status[o.status] = by_status.get(o.status, 0) + 1
    return Expected(
        customers=len({o.email.lower() for o in loaded}),
        buyers=len({o.email.lower() for o in paid}),
        revenue=sum((o.subtotal for o in paid), Decimal("0")),
        paid_orders=len(paid),
        orders_by_status=by_status,
    )
