//! Word lists for generated shops: Chinese names, places, products and reasons for the Chinese
//! platforms, English ones for Shopify.

/// Common surnames.
pub(super) const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗",
];

/// Given names.
pub(super) const GIVEN: [&str; 24] = [
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "子涵", "欣怡", "浩然", "宇轩", "梓萱", "雨桐",
];

/// Province, city and districts.
pub(super) const PLACES: [(&str, &str, [&str; 3]); 12] = [
    ("广东省", "深圳市", ["南山区", "福田区", "宝安区"]),
    ("广东省", "广州市", ["天河区", "海珠区", "越秀区"]),
    ("浙江省", "杭州市", ["西湖区", "余杭区", "滨江区"]),
    ("上海市", "上海市", ["浦东新区", "徐汇区", "静安区"]),
    ("北京市", "北京市", ["朝阳区", "海淀区", "东城区"]),
    ("江苏省", "南京市", ["鼓楼区", "玄武区", "建邺区"]),
    ("江苏省", "苏州市", ["姑苏区", "吴中区", "相城区"]),
    ("四川省", "成都市", ["武侯区", "锦江区", "高新区"]),
    ("湖北省", "武汉市", ["洪山区", "江汉区", "武昌区"]),
    ("福建省", "厦门市", ["思明区", "湖里区", "集美区"]),
    ("山东省", "青岛市", ["市南区", "崂山区", "黄岛区"]),
    ("陕西省", "西安市", ["雁塔区", "碑林区", "未央区"]),
];

/// Streets.
pub(super) const STREETS: [&str; 10] = [
    "科技园路",
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "文三路",
    "长江路",
    "和平大街",
    "滨江大道",
    "学府路",
];

/// Mobile number prefixes (China Mobile, Unicom, Telecom).
pub(super) const MOBILE_PREFIXES: [&str; 16] = [
    "130", "131", "133", "135", "136", "138", "139", "150", "152", "155", "158", "176", "177",
    "180", "186", "189",
];

/// A product and its price range in fen.
pub(super) type Product = (&'static str, i64, i64);

/// Category, SKU prefix, and products.
pub(super) const CATALOG: [(&str, &str, [Product; 4]); 5] = [
    (
        "服装",
        "FZ",
        [
            ("纯棉短袖T恤 白色 L码", 5_900, 12_900),
            ("高腰阔腿牛仔裤 浅蓝 27码", 12_900, 25_900),
            ("羊毛针织开衫 燕麦色 M码", 19_900, 45_900),
            ("防晒冰丝外套 UPF50+", 8_900, 16_900),
        ],
    ),
    (
        "数码",
        "SM",
        [
            ("无线蓝牙耳机 主动降噪版", 19_900, 59_900),
            ("65W氮化镓快充充电器 双口", 8_900, 15_900),
            ("机械键盘 87键 青轴", 19_900, 39_900),
            ("20000mAh移动电源 PD快充", 9_900, 19_900),
        ],
    ),
    (
        "食品",
        "SP",
        [
            ("云南小粒咖啡豆 中度烘焙 500g", 5_900, 9_900),
            ("每日坚果礼盒 750g 30袋", 12_800, 19_800),
            ("五常稻花香大米 5kg", 6_990, 9_990),
            ("低糖全麦吐司 400g×2", 2_990, 4_990),
        ],
    ),
    (
        "美妆",
        "MZ",
        [
            ("玻尿酸补水面膜 10片装", 7_900, 15_900),
            ("氨基酸洁面乳 120g", 4_900, 8_900),
            ("烟酰胺精华液 30ml", 13_900, 25_900),
            ("防晒霜 SPF50 PA++++ 50ml", 8_900, 16_900),
        ],
    ),
    (
        "家居",
        "JJ",
        [
            ("泰国天然乳胶枕 一对装", 15_900, 29_900),
            ("纯棉四件套 1.8m床", 19_900, 39_900),
            ("加厚珊瑚绒毛毯 150×200", 8_900, 15_900),
            ("北欧陶瓷马克杯 2只装", 3_900, 6_900),
        ],
    ),
];

/// Why buyers ask for their money back.
pub(super) const REFUND_REASONS: [&str; 7] = [
    "不想要了",
    "拍错/多拍",
    "未按约定时间发货",
    "商品质量问题",
    "尺码不合适",
    "少件/漏发",
    "与商品描述不符",
];

/// Companies asking for invoices.
pub(super) const COMPANIES: [&str; 6] = [
    "深圳市云帆科技有限公司",
    "杭州青禾贸易有限公司",
    "上海启明文化传媒有限公司",
    "成都锦程餐饮管理有限公司",
    "南京星河电子商务有限公司",
    "厦门海纳供应链管理有限公司",
];

/// Return-address contacts' roles.
pub(super) const WAREHOUSES: [&str; 2] = ["售后仓", "退货中心"];

/// English first names.
pub(super) const FIRST_NAMES: [&str; 12] = [
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Mia", "Lucas", "Harper",
    "James",
];

/// English last names.
pub(super) const LAST_NAMES: [&str; 10] = [
    "Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Moore",
];

/// City, state and ZIP.
pub(super) const US_PLACES: [(&str, &str, &str); 8] = [
    ("Austin", "Texas", "78701"),
    ("Portland", "Oregon", "97205"),
    ("Denver", "Colorado", "80202"),
    ("Seattle", "Washington", "98101"),
    ("Chicago", "Illinois", "60601"),
    ("Brooklyn", "New York", "11201"),
    ("San Diego", "California", "92101"),
    ("Nashville", "Tennessee", "37203"),
];

/// English streets.
pub(super) const US_STREETS: [&str; 6] = [
    "Maple Ave",
    "Oak Street",
    "Pine Road",
    "Cedar Lane",
    "Elm Street",
    "Sunset Blvd",
];

/// English products with a price range in cents.
pub(super) const US_PRODUCTS: [(&str, i64, i64); 6] = [
    ("Organic Cotton Tee", 1_800, 3_200),
    ("Ceramic Pour-Over Set", 3_400, 5_900),
    ("Merino Wool Beanie", 2_200, 3_900),
    ("Bamboo Cutting Board", 2_500, 4_500),
    ("Wireless Charging Pad", 2_900, 4_900),
    ("Linen Throw Blanket", 6_900, 12_900),
];

/// English refund reasons.
pub(super) const US_REASONS: [&str; 4] = [
    "Wrong size",
    "Arrived damaged",
    "Changed my mind",
    "Not as described",
];
