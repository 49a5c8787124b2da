"""The demo data of DESIGN.md section 6 as tables: staff, accounts and their users, products,
contracts, and what has already happened (orders, hotline requests). portal.demo seeds them."""

from decimal import Decimal

from portal.core import permissions as p

#: (local part, name, role, phone)
STAFF = [
    ("admin", "Ada Admin", p.ACCOUNT_ADMIN, "+86 21 6000 0001"),
    ("manager", "Mei Manager", p.SALES_MANAGER, "+86 21 6000 0002"),
    ("director", "Dong Director", p.SALES_DIRECTOR, "+86 21 6000 0003"),
    ("inside", "Iris Inside", p.INSIDE_SALES, "+86 21 6000 0010"),
    ("inside2", "Ivan Inside", p.INSIDE_SALES, "+86 21 6000 0011"),
    ("chen", "陈静", p.INSIDE_SALES, "+86 532 6000 0012"),
    ("field", "Fang Field", p.FIELD_SALES, "+86 21 6000 0020"),
    ("callcenter", "Cai Callcentre", p.CALL_CENTER, "+86 21 6000 0030"),
    ("finance", "Fiona Finance", p.FINANCE, "+86 21 6000 0040"),
    ("sysadmin", "Sam Sysadmin", p.SYSADMIN, "+86 21 6000 0050"),
]

#: Staff who work in Chinese, in their own time zone: (language, time zone).
STAFF_SETTINGS = {"chen": ("zh_Hans", "Asia/Shanghai")}

#: The key accounts. "address" lists the fields of accounts.addresses.FIELDS in that order
#: (label, country, recipient, mobile, province, city, district, street, postcode).
ACCOUNTS = [
    {
        "slug": "acme",
        "name": "Acme Hospital Group",
        "brand_colour": "#0b6e4f",
        "welcome_text": "Welcome to the Acme Hospital Group purchasing portal.\n"
        "Your contract prices and Net 30 terms apply to every order.",
        "hotline_phone": "+86 21 5555 0100",
        "time_zone": "Asia/Shanghai",
        "currency": "CNY",
        "tier": "platinum",
        "reps": ("inside", "inside2", "field"),
        "address": (
            "Head office",
            "CN",
            "张伟",
            "+86 139 1782 6601",
            "上海市",
            "上海市",
            "浦东新区",
            "世纪大道88号 医院物资部",
            "200120",
        ),
        "users": [
            ("buyer@acme.example", "Alice Buyer", p.BUYER, Decimal("50000.00"), "+86 21 5555 0100"),
            ("approver@acme.example", "Arthur Approver", p.APPROVER, None, "+86 21 5555 0108"),
        ],
    },
    {
        "slug": "globex",
        "name": "Globex Manufacturing",
        "brand_colour": "#1f4e9c",
        "welcome_text": "Globex Manufacturing: order at your negotiated prices.\n"
        "A 30% deposit is due at order, the balance on delivery.",
        "hotline_phone": "+1 312 555 0142",
        "time_zone": "America/Chicago",
        "currency": "USD",
        "tier": "gold",
        #: A foreign account: its orders are zero-rated exports (the others' include VAT).
        "tax_treatment": "export_zero_rated",
        "reps": ("inside", None, "field"),
        "address": (
            "Plant 1",
            "US",
            "Maria Lopez, Receiving",
            "+1 312 555 0147",
            "IL",
            "Chicago",
            "",
            "1200 Industrial Parkway",
            "60609",
        ),
        "users": [
            ("buyer@globex.example", "Gary Buyer", p.BUYER, Decimal("20000.00"), "+1 312 555 0143")
        ],
    },
    {
        "slug": "initech",
        "name": "Initech Bank",
        "brand_colour": "#6b2c91",
        "welcome_text": "Initech Bank IT procurement.\nOrders are paid in three installments.",
        "hotline_phone": "+86 10 5555 0199",
        "time_zone": "Asia/Shanghai",
        "currency": "CNY",
        "tier": "standard",
        "reps": ("inside2", None, "field"),
        "address": (
            "Data centre",
            "CN",
            "刘洋",
            "+86 186 1000 2233",
            "北京市",
            "北京市",
            "西城区",
            "金融大街1号 数据中心B座",
            "100033",
        ),
        "users": [
            (
                "buyer@initech.example",
                "Ian Buyer",
                p.BUYER,
                Decimal("100000.00"),
                "+86 10 5555 0190",
            ),
            ("admin@initech.example", "Ina Admin", p.CUSTOMER_ADMIN, None, "+86 10 5555 0191"),
        ],
    },
    {
        "slug": "lotus",
        "name": "Lotus Pharmaceuticals",
        "brand_colour": "#c2185b",
        "welcome_text": "Lotus Pharmaceuticals equipment portal.\n"
        "Orders ship against a registered letter of credit.",
        "hotline_phone": "+86 755 5555 0123",
        "time_zone": "Asia/Shanghai",
        "currency": "CNY",
        "tier": "standard",
        "reps": ("inside2", None, "field"),
        "address": (
            "Research campus",
            "CN",
            "林静",
            "+86 135 2000 3344",
            "广东省",
            "深圳市",
            "南山区",
            "科技路9号 研发园区3栋",
            "518057",
        ),
        "users": [
            (
                "buyer@lotus.example",
                "Lin Buyer",
                p.BUYER,
                Decimal("1000000.00"),
                "+86 755 5555 0120",
            )
        ],
    },
    {
        "slug": "qingdao",
        "name": "青岛港湾医疗集团",
        "name_en": "Qingdao Harbour Medical Group",
        "logo_text": "青岛",
        "brand_colour": "#00648c",
        "welcome_text": "欢迎使用青岛港湾医疗集团采购门户。\n"
        "所有订单均按合同价结算，付款条件为发货后 60 天内付款。",
        "hotline_phone": "+86 532 8888 6600",
        "time_zone": "Asia/Shanghai",
        "currency": "CNY",
        "tier": "gold",
        "default_locale": "zh_Hans",
        "reps": ("chen", None, "field"),
        "address": (
            "总部",
            "CN",
            "赵敏",
            "+86 139 6396 0808",
            "山东省",
            "青岛市",
            "市南区",
            "香港中路8号 设备采购中心",
            "266071",
        ),
        # (e-mail, name, role, spending limit, mobile, language)
        "users": [
            (
                "wangfang@qingdao.example",
                "王芳",
                p.BUYER,
                Decimal("80000.00"),
                "+86 138 0532 1234",
                "zh_Hans",
            ),
            ("liming@qingdao.example", "李明", p.APPROVER, None, "+86 139 6390 5678", "zh_Hans"),
        ],
    },
]

#: Discount authority of the staff who set prices, in percent below list.
DISCOUNT_AUTHORITY = {"admin": Decimal(10), "manager": Decimal(25), "director": Decimal(40)}

CATEGORIES = ["Laptops", "Desktops", "Monitors", "Servers", "Accessories", "Services"]
#: What a category is taxed as where it is not goods (tax.models.TAX_CATEGORIES).
CATEGORY_TAX = {"Services": "services"}

#: (SKU, name, category, unit, CNY list, USD list): the products DESIGN.md names.
NAMED_PRODUCTS = [
    ("NW-LT14", "ProBook 14 laptop", "Laptops", "each", "8999.00", "1249.00"),
    ("NW-DT7", "Tower 7 desktop", "Desktops", "each", "5499.00", "769.00"),
    ("NW-MN27", "27-inch 4K monitor", "Monitors", "each", "2399.00", "329.00"),
    ("NW-SRV2", "2U rack server R2", "Servers", "each", "48000.00", "6650.00"),
    ("NW-DOCK", "USB-C dock", "Accessories", "each", "899.00", "125.00"),
    ("NW-SVC3Y", "3-year on-site service", "Services", "contract", "1200.00", "169.00"),
]

#: Their Chinese names, by SKU.
NAMED_PRODUCTS_ZH = {
    "NW-LT14": "ProBook 14 笔记本电脑",
    "NW-DT7": "Tower 7 台式机",
    "NW-MN27": "27 英寸 4K 显示器",
    "NW-SRV2": "R2 2U 机架式服务器",
    "NW-DOCK": "USB-C 扩展坞",
    "NW-SVC3Y": "三年上门服务",
}

#: Eight more products per category: (SKU code, name stem, CNY base price, step, Chinese stem).
MORE_PRODUCTS = {
    "Laptops": ("LTX", "ProBook laptop", 6999, 500, "ProBook 笔记本电脑"),
    "Desktops": ("DTX", "Tower desktop", 3999, 400, "Tower 台式机"),
    "Monitors": ("MNX", "Display monitor", 1299, 150, "商用显示器"),
    "Servers": ("SRX", "Rack server", 28000, 4000, "机架式服务器"),
    "Accessories": ("ACX", "Accessory kit", 99, 60, "配件套装"),
    "Services": ("SVX", "Service plan", 600, 150, "服务套餐"),
}

#: The categories' Chinese names (also their ranges in the Chinese descriptions).
CATEGORY_ZH = {
    "Laptops": "笔记本电脑",
    "Desktops": "台式机",
    "Monitors": "显示器",
    "Servers": "服务器",
    "Accessories": "配件",
    "Services": "服务",
}

CNY_PER_USD = Decimal("7.2")

#: Contract per account: (number, currency, days from, days to, term, credit limit, rules);
#: a rule is (SKU or category:Name, kind, value, minimum quantity).
CONTRACTS = {
    "acme": (
        "NW-ACME-01",
        "CNY",
        -180,
        365,
        "net30",
        "500000.00",
        [
            ("NW-LT14", "fixed", "7650.00", 1),
            ("NW-LT14", "fixed", "7400.00", 50),
            ("NW-MN27", "percent_off", "15", 1),
            ("category:Services", "percent_off", "10", 1),
        ],
    ),
    "globex": (
        "NW-GLOBEX-01",
        "USD",
        -90,
        365,
        "deposit30",
        "100000.00",
        [
            ("category:Laptops", "percent_off", "12", 1),
            ("NW-SRV2", "fixed", "5900.00", 1),
        ],
    ),
    "initech": (
        "NW-INITECH-01",
        "CNY",
        -345,
        20,
        "installments3",
        "300000.00",
        [(f"category:{name}", "percent_off", "8", 1) for name in CATEGORIES],
    ),
    "lotus": (
        "NW-LOTUS-01",
        "CNY",
        -30,
        700,
        "letter_of_credit",
        "0.00",
        [
            ("NW-SRV2", "fixed", "42000.00", 1),
        ],
    ),
    "qingdao": (
        "NW-QINGDAO-01",
        "CNY",
        -60,
        365,
        "net60",
        "800000.00",
        [
            ("category:Monitors", "percent_off", "10", 1),
            ("NW-DT7", "fixed", "4800.00", 1),
        ],
    ),
}

#: Payment terms the demo needs beyond the standard ones (contracts.terms.STANDARD_TERMS):
#: code: (name, needs a letter of credit, milestones as (label, share, event, days)).
DEMO_TERMS = {"net60": ("Net 60", False, [("Payment", "100", "shipment", 60)])}

#: Price proposals waiting for a sales manager: (SKU, from quantity, fixed price, reason), each
#: replacing the contract's rule for that SKU and quantity (23% below list: beyond the account
#: admin's authority, within the manager's).
PROPOSALS = {
    "acme": [
        ("NW-LT14", 50, "6900.00", "Acme's 2027 laptop refresh: 600 units if we match the tender.")
    ],
}

#: Hotline requests filed when the demo is seeded: (filer, topic, description, call-back window).
HOTLINE_REQUESTS = [
    (
        "buyer@acme.example",
        "order_problem",
        "Two of the docking stations delivered last week do not charge the laptops.",
        "morning",
    ),
    (
        "buyer@globex.example",
        "quote",
        "Please quote 40 x NW-MN27 monitors for our new Chicago office.",
        "any",
    ),
    (
        "admin@initech.example",
        "evaluation_unit",
        "We would like to evaluate one NW-SRV2 server for four weeks before a larger order.",
        "afternoon",
    ),
    (
        "wangfang@qingdao.example",
        "quote",
        "请为新院区的护士站报价 20 台 NW-MN27 显示器，谢谢。",
        "morning",
    ),
]

#: Orders placed on the buyers' behalf when the demo is seeded: (token, buyer, lines, the staff
#: steps taken since). Globex's waits for its 30% deposit before release; Acme's second has
#: shipped, so its invoice is issued.
ORDERS = [
    ("demo-acme-1", "buyer@acme.example", [("NW-DT7", 5), ("NW-DOCK", 5)], ("confirm",)),
    # The order of DESIGN.md's example (CNY 17,339.15), shipped: its Net 30 invoice is open.
    (
        "demo-acme-2",
        "buyer@acme.example",
        [("NW-LT14", 2), ("NW-MN27", 1)],
        ("confirm", "release", "ship"),
    ),
    ("demo-globex-1", "buyer@globex.example", [("NW-LT14", 4)], ("confirm",)),
    (
        "demo-qingdao-1",
        "wangfang@qingdao.example",
        [("NW-MN27", 10), ("NW-DT7", 4)],
        ("confirm",),
    ),
]

#: Orders placed some days ago, whose invoices have aged for finance's receivables page:
#: (checkout token, buyer, items, steps, days ago). Acme's Net 30 runs from shipment: shipped
#: 150, 100 and 45 days ago, its invoices are 120, 70 and 15 days overdue (over 90, 61-90,
#: 1-30 days); Globex's 30% deposit fell due at the order, 50 days ago (31-60 days).
AGED_ORDERS = [
    (
        "demo-acme-aged-1",
        "buyer@acme.example",
        [("NW-MN27", 4)],
        ("confirm", "release", "ship"),
        150,
    ),
    (
        "demo-acme-aged-2",
        "buyer@acme.example",
        [("NW-DOCK", 10)],
        ("confirm", "release", "ship"),
        100,
    ),
    ("demo-acme-aged-3", "buyer@acme.example", [("NW-DT7", 2)], ("confirm", "release", "ship"), 45),
    ("demo-globex-aged-1", "buyer@globex.example", [("NW-MN27", 5)], ("confirm",), 50),
]

#: The reason the rep gives for taking the demo's orders down, in the buyer's language.
TAKEN_DOWN_BY_PHONE = {
    "en": "Demo data: taken down by phone.",
    "zh_Hans": "演示数据：客户来电，由内勤代为下单。",
}

#: Fonts with Chinese characters for a Chinese logo (Debian's fonts-noto-cjk, then others).
#: (path, face): Noto's collections hold Japanese, Korean, Simplified Chinese... in that order.
CJK_FONTS = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
]

#: Each account's fapiao details (tax.fapiao_models.FapiaoDetails): invoice title, taxpayer
#: number (a valid unified social credit code), registered address and phone, bank, account
#: number, the fapiao types it may choose, and whether finance verified them. Globex is an
#: export account (USD): no fapiao.
FAPIAO_DETAILS = {
    "acme": (
        "Acme Hospital Group Co., Ltd.",
        "91310115MA1H7GXK26",
        "Room 1201, 88 Century Avenue, Pudong New Area, Shanghai 200120",
        "+86 21 5555 0100",
        "China Merchants Bank, Shanghai Lujiazui Branch",
        "1219 0862 1010 001",
        ("special", "electronic"),
        True,
    ),
    "qingdao": (
        "青岛港湾医疗集团有限公司",
        "91370200MA3C8QWE4Q",
        "山东省青岛市市南区香港中路 36 号 18 楼",
        "0532-8888 6600",
        "中国工商银行青岛市南第二支行",
        "3803 0207 0920 0123 456",
        ("special", "ordinary", "electronic"),
        True,
    ),
    "initech": (
        "Initech Bank Co., Ltd.",
        "91110000MA01B2CD3J",
        "9 Financial Street, Xicheng District, Beijing 100033",
        "+86 10 5555 0190",
        "Bank of China, Beijing Financial Street Branch",
        "3400 5678 9012",
        ("ordinary", "electronic"),
        True,
    ),
    "lotus": (
        "Lotus Pharmaceuticals (Suzhou) Co., Ltd.",
        "91320594MA1MX7PL8H",
        "18 Xinghu Street, Suzhou Industrial Park, Jiangsu 215123",
        "+86 512 5555 0170",
        "Agricultural Bank of China, Suzhou Industrial Park Branch",
        "1055 0101 0400 12345",
        ("special", "ordinary"),
        False,
    ),
}

#: Quotes in each state of the pipeline, written when the demo is seeded (portal.demo.quotes),
#: found again by the buyer's note (unique). Days count back from the seeding day (or forward:
#: `wanted_in`, `valid_for`). `lines`: (SKU, quantity, target price or None, quoted price or
#: None, the buyer's comment). `answer`: the rep's supplier version (None: not yet answered):
#: its status, when submitted and sent (days ago), how many days it holds from the seeding day
#: (negative: expired), terms, note, who approved its price (None: waiting, when the price is
#: beyond the rep's authority) and its sign-offs {department: signer or None (waiting)}.
#: `outcome`: ("accepted", days ago) or ("lost", days ago, reason, comment).
#: Acme has no quote of NW-LT14: the walk-through of DESIGN.md (200 x NW-LT14 at 6,900.00,
#: approved by the manager, accepted and ordered) starts from a clean slate.
QUOTES = [
    {
        # Iris's answer goes 20.8% below list on the monitors, beyond her authority (0%): it
        # waits for the sales manager's price approval and the product sign-off.
        "buyer": "buyer@acme.example",
        "note": "Monitors and docks for the new intensive care wing, installed before it opens.",
        # Asked today: its deadline (two business hours) has not passed when seeded.
        "asked": 0,
        "wanted_in": 45,
        "lines": [
            ("NW-MN27", 30, Decimal("1850.00"), Decimal("1899.00"), "Two per nurse station"),
            ("NW-DOCK", 30, None, Decimal("899.00"), ""),
        ],
        "answer": {
            "status": "in_review",
            "submitted": 0,
            "valid_for": 30,
            "note": "Monitor price for this wing only, on the whole quantity.",
            "approved_by": None,
            "signed": {"product": None},
        },
        "outcome": None,
    },
    {
        # The hotline call asked for 40 monitors: quoted below list (manager approved), sent.
        "buyer": "buyer@globex.example",
        "note": "40 x NW-MN27 monitors for the new Chicago office, delivered in one shipment.",
        "asked": 6,
        "wanted_in": 40,
        "lines": [("NW-MN27", 40, Decimal("299.00"), Decimal("309.00"), "")],
        "answer": {
            "status": "sent",
            "submitted": 4,
            "sent": 3,
            "valid_for": 27,
            "note": "Shipped from Shenzhen, zero-rated for export; freight quoted separately.",
            "approved_by": "manager",
            "signed": {"product": "admin"},
        },
        "outcome": None,
    },
    {
        "buyer": "wangfang@qingdao.example",
        "note": "新院区门诊楼医生工作站采购，希望六月底前到货，请尽快报价。",
        "asked": 0,
        "wanted_in": 60,
        "lines": [
            ("NW-DT7", 15, Decimal("4500.00"), None, "需预装办公软件"),
            ("NW-MN27", 15, None, None, ""),
        ],
        "answer": None,
        "outcome": None,
    },
    {
        # Accepted, but never ordered: its prices held until three days ago.
        "buyer": "buyer@initech.example",
        "note": "Two servers for the disaster recovery site, to be ordered once the budget clears.",
        "asked": 30,
        "wanted_in": None,
        "lines": [("NW-SRV2", 2, Decimal("42000.00"), Decimal("43500.00"), "")],
        "answer": {
            "status": "sent",
            "submitted": 27,
            "sent": 26,
            "valid_for": -3,
            "terms": "Installation on site included; the buyer provides rack space and power.",
            "approved_by": "manager",
            "signed": {"product": "admin", "legal": "director"},
        },
        "outcome": ("accepted", 20),
    },
    {
        "buyer": "buyer@lotus.example",
        "note": "Four servers for the new analytics cluster in the research campus.",
        "asked": 21,
        "wanted_in": None,
        "lines": [("NW-SRV2", 4, Decimal("39000.00"), Decimal("41000.00"), "")],
        "answer": {
            "status": "sent",
            "submitted": 18,
            "sent": 17,
            "valid_for": 13,
            "approved_by": "manager",
            # Lotus buys under letters of credit, with no open credit: finance signs too.
            "signed": {"product": "admin", "finance": "finance"},
        },
        "outcome": (
            "lost",
            5,
            "competitor",
            "A competitor offered 39,800.00 per server with a five-year warranty.",
        ),
    },
]
