"""The category tree and default deadlines every installation starts with (editable afterwards).

Used by the data migration ``0002_seed``; codes double as Open311 service codes.
"""

# (code, name, description, children); children are (code, name, description[, flags])
GRIEVANCES = [
    ("rights", "权益保障", "劳动报酬、社会保险、劳动合同、职业伤害等", [
        ("rights-pay", "劳动报酬", "工资、配送费、提成结算和拖欠"),
        ("rights-insurance", "社会保险与职业伤害", "社保参保、职业伤害保障、意外险理赔"),
        ("rights-contract", "劳动合同与用工", "合同签订、劳务关系、用工纠纷"),
    ]),
    ("traffic", "交通安全", "道路通行、停车充电、交通执法", [
        ("traffic-road", "道路通行", "禁行路段、信号灯、道路设施"),
        ("traffic-parking", "停车与充电", "临时停靠、换电充电设施"),
        ("traffic-enforcement", "交通执法", "处罚、扣车等执法事项"),
    ]),
    ("life", "生活服务", "休息驿站、就餐、住房、子女入学", [
        ("life-station", "暖心驿站", "歇脚、饮水、充电、如厕等"),
        ("life-housing", "住房与就餐", "租房、宿舍、就餐"),
        ("life-education", "子女教育", "子女入学、托管"),
    ]),
    ("platform", "平台规则", "派单、考核、罚款申诉、配送时限", [
        ("platform-dispatch", "派单与算法", "派单规则、超时判定"),
        ("platform-penalty", "罚款与申诉", "扣款、差评申诉"),
    ]),
    ("community", "社区融入", "进小区、进园区、停车进门", [
        ("community-access", "小区与园区通行", "门禁、配送进门"),
    ]),
    ("party", "党组织服务", "组织关系转接、学习教育、党员活动", [
        ("party-relation", "组织关系", "流动党员组织关系转接、党费"),
        ("party-activity", "学习与活动", "学习教育、志愿服务、活动场所"),
    ]),
    ("other", "其他", "其他诉求", []),
]

INCIDENTS = [
    ("opinion", "社情民意", "群众反映的意见建议和矛盾纠纷", [
        ("opinion-suggestion", "意见建议", "对公共服务和基层治理的意见建议"),
        ("opinion-dispute", "矛盾纠纷", "邻里、消费、劳务等矛盾纠纷线索"),
    ]),
    ("warning", "异常情况预警", "安全隐患、设施损坏、环境卫生、治安隐患", [
        ("warning-hazard", "安全隐患", "井盖缺失、电线裸露、道路塌陷等"),
        ("warning-facility", "设施损坏", "路灯、护栏、标志标线损坏"),
        ("warning-sanitation", "环境卫生", "垃圾堆放、污水外溢"),
        ("warning-security", "治安隐患", "可疑人员、聚集等"),
    ]),
    ("emergency", "突发事件直报", "交通事故、火灾、公共安全等需立即处置的事件", [
        ("emergency-traffic", "交通事故", "有人员受伤或道路阻断的交通事故", "E"),
        ("emergency-fire", "火灾", "火情、冒烟", "E"),
        ("emergency-public", "公共安全事件", "踩踏、危险品泄漏等", "E"),
        ("emergency-disaster", "自然灾害", "积水内涝、倒树等", "E"),
    ]),
]

# The seven aspects supervision groups check (五星支部创建督导); findings become rectification items.
RECTIFICATIONS = [
    ("star", "五星支部创建整改", "督导发现问题的整改事项", [
        ("star-archives", "档案资料", "创建档案资料不全、不规范"),
        ("star-atmosphere", "创建氛围", "宣传氛围不浓"),
        ("star-plan", "创建计划", "创建计划缺失或不具体"),
        ("star-sanitation", "清洁卫生", "阵地及周边卫生"),
        ("star-training", "教育培训", "学习培训不经常"),
        ("star-results", "工作成效", "创建成效不明显"),
        ("star-signage", "规范标牌", "标识标牌不规范"),
    ]),
]

# priority: (accept amount, unit, reply amount, unit)
DEFAULT_DEADLINES = {
    "normal": (1, "workday", 5, "workday"),
    "urgent": (4, "hour", 2, "workday"),
    "emergency": (1, "hour", 24, "hour"),
}


def seed(Category, DeadlineRule) -> None:
    sort = 0
    for kind, tree in (("grievance", GRIEVANCES), ("incident", INCIDENTS), ("rectification", RECTIFICATIONS)):
        for code, name, desc, children in tree:
            sort += 1
            emergency_root = code == "emergency"
            parent = Category.objects.create(
                kind=kind, code=code, name=name, description=desc, path=f"{code}/", sort=sort,
                is_emergency=emergency_root, default_priority="emergency" if emergency_root else "normal",
                public=kind != "rectification")
            for child in children:
                ccode, cname, cdesc = child[:3]
                emergency = len(child) > 3 and "E" in child[3]
                sort += 1
                Category.objects.create(
                    kind=kind, code=ccode, name=cname, description=cdesc, parent=parent, path=f"{code}/{ccode}/",
                    sort=sort, is_emergency=emergency, default_priority="emergency" if emergency else "normal",
                    public=kind != "rectification")
    for priority, (a, au, r, ru) in DEFAULT_DEADLINES.items():
        DeadlineRule.objects.create(category=None, priority=priority, accept_amount=a, accept_unit=au,
                                    reply_amount=r, reply_unit=ru)
