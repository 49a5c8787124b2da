"""The demo's history for insights, as tables: how much each account buys and how that moved
over two years, the generated accounts that make the ranking and the stages mean something,
the teams, product costs, leads and visits. portal.demo.history and portal.demo.population
write them; dates count back from the seeding day, amounts are in the account's currency.
"""

from typing import NamedTuple

#: Months of history written before the seeding day's month.
HISTORY_MONTHS = 24
#: No history order is placed in the last days before seeding: each has shipped, been
#: delivered, invoiced and paid by then (the demo's open orders are its recent ones).
QUIET_DAYS = 21
#: Days from placing to shipping and from shipping to delivery.
SHIP_AFTER, DELIVER_AFTER = 4, 3
#: Sales by calendar month (1 = January), as a share of an average month: quiet around the
#: Spring Festival, a peak when budgets close at the year's end.
SEASON = {
    1: 0.85,
    2: 0.55,
    3: 1.10,
    4: 1.00,
    5: 0.95,
    6: 1.05,
    7: 0.90,
    8: 0.85,
    9: 1.10,
    10: 0.90,
    11: 1.25,
    12: 1.50,
}

#: What an account buys: (SKU, weight) drawn for each line.
BASKETS = {
    "hospital": [("NW-LT14", 5), ("NW-MN27", 4), ("NW-DOCK", 2), ("NW-SVC3Y", 2), ("NW-DT7", 3)],
    "data": [("NW-SRV2", 4), ("NW-SVC3Y", 2), ("NW-SRX3", 2), ("NW-MN27", 1)],
    "office": [("NW-DT7", 4), ("NW-MN27", 4), ("NW-DOCK", 2), ("NW-LTX2", 2), ("NW-ACX4", 1)],
    "field": [("NW-LT14", 4), ("NW-LTX5", 2), ("NW-DOCK", 3), ("NW-SVX3", 1)],
    "servers": [("NW-SRV2", 6), ("NW-SVC3Y", 2)],
}


class Profile(NamedTuple):
    """How an account buys: `monthly` is its gross sales in an average month at the seeding
    day (in its currency), growing `growth` a year (-0.2: shrinking 20%); `per_month` orders
    a month on average; history from `since` months ago; in `skip` of its months of the
    last year it does not order (retention); `steady`: the same order every month (no
    chance, no season), so that its figures are exact whatever the seeding day."""

    monthly: int
    growth: float
    per_month: float
    basket: str
    since: int = HISTORY_MONTHS
    skip: int = 0
    steady: tuple[tuple[str, int], ...] = ()


#: The design's accounts: Acme clearly the largest, growing; Initech shrinking and skipping
#: months (at risk); Lotus buying a few servers a month.
DEMO_PROFILES = {
    "acme": Profile(900_000, 0.25, 4, "hospital"),
    "globex": Profile(30_000, 0.08, 2, "office"),
    "initech": Profile(190_000, -0.18, 2, "data", skip=4),
    "lotus": Profile(130_000, 0.05, 1, "servers"),
    "qingdao": Profile(215_000, 0.12, 3, "hospital"),
}

#: Wallet share (percent) each account's spend estimate makes of its trailing 12 months
#: (None: no estimate), and where the estimate comes from.
DEMO_SHARES = {
    "acme": (68, "Annual procurement plan shared by the purchasing director"),
    "globex": (27, "Capital budget in the annual report"),
    "initech": (21, "IT director at the last visit"),
    "lotus": (7, "Tender documents of the research campus"),
    "qingdao": (58, "设备科年度采购预算"),
}


class Generated(NamedTuple):
    """A generated account: slug, name, currency, inside-sales rep, tier, profile, wallet
    share for its estimate (None: no estimate) and the estimate's source."""

    slug: str
    name: str
    currency: str
    rep: str
    tier: str
    profile: Profile
    share: int | None
    source: str = "Field visit estimate"


#: The platinum members beside Acme and the outsider 5% above the weakest of them (which
#: the 10% buffer keeps out); steady, so the 5% holds whatever the day of seeding.
CONTENDER_LINES = (("NW-DT7", 40), ("NW-MN27", 20), ("NW-DOCK", 20))
OUTSIDER_LINES = (("NW-DT7", 42), ("NW-MN27", 21), ("NW-DOCK", 21))
STEADY_SKUS = {sku for sku, _ in CONTENDER_LINES + OUTSIDER_LINES}

GENERATED = [
    Generated(
        "huadong-united-hospital",
        "华东联合医院集团",
        "CNY",
        "inside",
        "platinum",
        Profile(560_000, 0.15, 3, "hospital"),
        45,
        "年度信息化预算",
    ),
    Generated(
        "pearl-river-logistics",
        "Pearl River Logistics",
        "CNY",
        "inside2",
        "platinum",
        Profile(520_000, 0.05, 3, "field"),
        62,
        "Annual report",
    ),
    Generated(
        "zhejiang-mingde-hospital",
        "浙江明德医院",
        "CNY",
        "chen",
        "platinum",
        Profile(460_000, 0.02, 2, "hospital"),
        35,
        "院长办公会纪要",
    ),
    Generated(
        "qilu-pharma",
        "济南齐鲁制药有限公司",
        "CNY",
        "chen",
        "platinum",
        Profile(0, 0.0, 1, "office", steady=CONTENDER_LINES),
        40,
        "采购部访谈",
    ),
    Generated(
        "harbour-line-shipping",
        "Harbour Line Shipping",
        "CNY",
        "inside",
        "gold",
        Profile(0, 0.0, 1, "office", steady=OUTSIDER_LINES),
        30,
        "Procurement plan 2026",
    ),
    # New accounts (under a year), without an estimate: acquisition.
    Generated(
        "qianhai-data-centre",
        "深圳前海数据中心",
        "CNY",
        "inside2",
        "standard",
        Profile(160_000, 0.0, 1, "data", since=5),
        None,
    ),
    Generated(
        "summit-health-partners",
        "Summit Health Partners",
        "USD",
        "inside",
        "standard",
        Profile(9_000, 0.0, 1, "hospital", since=9),
        None,
    ),
    # Long-standing accounts nobody estimated: acquisition until someone does.
    Generated(
        "tianjin-port-group",
        "天津港务集团",
        "CNY",
        "chen",
        "standard",
        Profile(60_000, 0.03, 1, "office"),
        None,
    ),
    Generated(
        "blue-river-freight",
        "Blue River Freight",
        "USD",
        "inside2",
        "standard",
        Profile(6_000, 0.1, 1, "field"),
        None,
    ),
    # Fading: ordering fewer months and less (at risk).
    Generated(
        "xiangjiang-hospital",
        "长沙湘江医院",
        "CNY",
        "chen",
        "gold",
        Profile(120_000, -0.35, 2, "hospital", skip=6),
        24,
        "设备科主任",
    ),
    Generated(
        "kestrel-analytics",
        "Kestrel Analytics",
        "USD",
        "inside",
        "standard",
        Profile(12_000, -0.2, 1, "data", skip=3),
        18,
    ),
]

#: The rest: (slug, name, currency) with profiles drawn from a seeded generator.
MORE_ACCOUNTS = [
    ("nanjing-gulou-medical", "南京鼓楼医疗中心", "CNY"),
    ("suzhou-hengrui-logistics", "苏州恒瑞物流有限公司", "CNY"),
    ("pujiang-securities", "上海浦江证券", "CNY"),
    ("guangzhou-nanfang-shipping", "广州南方航运物流", "CNY"),
    ("optics-valley-biotech", "武汉光谷生物医药", "CNY"),
    ("tianfu-software-park", "成都天府软件园", "CNY"),
    ("xiamen-haicang-hospital", "厦门海沧医院", "CNY"),
    ("ningbo-zhoushan-logistics", "宁波舟山港物流", "CNY"),
    ("westlake-university", "杭州西湖大学", "CNY"),
    ("xian-jiaotong-medical", "西安交通医疗集团", "CNY"),
    ("chongqing-shancheng-logistics", "重庆山城物流", "CNY"),
    ("dalian-maritime-insurance", "大连海事保险", "CNY"),
    ("hefei-science-city", "合肥科学城管理中心", "CNY"),
    ("kunming-dianchi-hospital", "昆明滇池医院", "CNY"),
    ("shenyang-heavy-industry", "沈阳重工集团", "CNY"),
    ("fuzhou-minjiang-energy", "福州闽江能源", "CNY"),
    ("qingdao-laoshan-brewery", "青岛崂山酿造", "CNY"),
    ("jinan-spring-city-bank", "济南泉城银行", "CNY"),
    ("wuxi-taihu-electronics", "无锡太湖电子", "CNY"),
    ("changzhou-dragon-city-hospital", "常州龙城医院", "CNY"),
    ("orient-data-services", "Orient Data Services", "CNY"),
    ("silverlake-medical-supplies", "Silverlake Medical Supplies", "CNY"),
    ("northgate-university-hospital", "Northgate University Hospital", "CNY"),
    ("evergreen-pharma-trading", "Evergreen Pharma Trading", "CNY"),
    ("redwood-analytics", "Redwood Analytics", "USD"),
    ("lakeshore-freight", "Lakeshore Freight", "USD"),
    ("yellow-sea-logistics", "Yellow Sea Logistics", "CNY"),
    ("eastbridge-engineering", "Eastbridge Engineering", "CNY"),
    ("granite-peak-insurance", "Granite Peak Insurance", "USD"),
]

#: Where estimates come from.
SOURCES = [
    "Annual report",
    "IT director at a visit",
    "Tender documents",
    "Procurement plan",
    "Budget shared by the purchasing manager",
]

#: Teams of the demo's sales staff: name -> the staff (local parts) in it.
TEAMS = {
    "Inside sales East": ("inside", "inside2"),
    "Inside sales North": ("chen",),
    "Field sales": ("field",),
}

#: A product's unit cost as a share of its CNY list price net of VAT, by category; the
#: products named here have none recorded (margins leave them out).
COST_SHARES = {
    "Laptops": "0.78",
    "Desktops": "0.74",
    "Monitors": "0.70",
    "Servers": "0.82",
    "Accessories": "0.55",
    "Services": "0.40",
}
UNKNOWN_COSTS = ("NW-SVX1", "NW-SVX2", "NW-ACX7", "NW-ACX8", "NW-SRX8")

#: Leads: (account, summary, source, stage, value net of VAT, probability, closes in days,
#: owner (None: unassigned), handed over by, lines (SKU, quantity)).
LEADS = [
    (
        "acme",
        "Laptop refresh for the Pudong campus",
        "purchase_plan",
        "negotiation",
        1_350_000,
        70,
        30,
        "field",
        "inside",
        [("NW-LT14", 200)],
    ),
    (
        "acme",
        "Monitors for the new outpatient building",
        "field",
        "qualified",
        240_000,
        40,
        75,
        "field",
        None,
        [("NW-MN27", 120)],
    ),
    (
        "qingdao",
        "新院区服务器机房",
        "purchase_plan",
        "proposal",
        380_000,
        50,
        60,
        "field",
        "chen",
        [("NW-SRV2", 8)],
    ),
    (
        "initech",
        "Disaster recovery site servers",
        "purchase_plan",
        "contacted",
        520_000,
        25,
        120,
        None,
        "inside2",
        [("NW-SRV2", 12)],
    ),
    (
        "lotus",
        "Analytics cluster, second phase",
        "field",
        "new",
        900_000,
        10,
        150,
        None,
        None,
        [("NW-SRV2", 20)],
    ),
    (
        "globex",
        "Docking stations for the Chicago office",
        "purchase_plan",
        "won",
        14_000,
        100,
        -20,
        "field",
        "inside",
        [("NW-DOCK", 110)],
    ),
    (
        "huadong-united-hospital",
        "护士站显示器更新",
        "field",
        "lost",
        160_000,
        0,
        -35,
        "field",
        None,
        [("NW-MN27", 80)],
    ),
]

#: Visits of the field-sales rep: (account, planned in days (negative: past), status, contact,
#: purpose, outcome, next step).
VISITS = [
    (
        "acme",
        -40,
        "done",
        "张伟",
        "Quarterly review with the purchasing office",
        "Laptop refresh confirmed for next quarter; 200 units.",
        "Send the volume price proposal.",
    ),
    (
        "qingdao",
        -12,
        "done",
        "赵敏",
        "新院区设备规划",
        "确认服务器机房需求，八台服务器。",
        "提交报价方案。",
    ),
    ("acme", 9, "planned", "张伟", "Demo of the new monitors for the outpatient building", "", ""),
    ("lotus", 16, "planned", "林静", "Meet the research campus IT lead", "", ""),
    ("initech", 23, "planned", "刘洋", "Disaster recovery site walk-through", "", ""),
]
