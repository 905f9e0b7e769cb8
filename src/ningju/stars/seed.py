"""The standard sets a new installation starts with: Henan's rural set and an urban community set.

Item texts summarise the published criteria; the organisation department edits them each year (a new year
copies the last one). ``(text, mode, max, pass, required, evidence)``; mode "pass" items are met or not.
"""

RURAL = [
    ("branch", "支部过硬星", "班子强、党员队伍强、组织生活规范", [
        ("村“两委”班子配备齐全,书记年度考核称职以上", "pass", 10, 10, True, "班子名单、考核结果"),
        ("严格落实“三会一课”、主题党日、组织生活会", "score", 10, 6, True, "会议记录、照片"),
        ("发展党员规范,近三年有35岁以下党员发展", "pass", 10, 10, False, "发展党员档案"),
        ("党员积分管理落实,党员积分榜按时更新", "score", 10, 6, True, "积分榜照片、积分台账"),
    ]),
    ("industry", "产业兴旺星", "集体经济稳步增长,主导产业带动增收", [
        ("村集体经济年收入达到当年目标", "pass", 10, 10, True, "财务报表"),
        ("有“一村一品”特色产业或合作社", "score", 10, 6, True, "合作社登记、产业照片"),
        ("建立联农带农机制,带动脱贫户和监测户增收", "score", 10, 6, False, "带动台账"),
    ]),
    ("ecology", "生态宜居星", "人居环境整洁,村容村貌美丽", [
        ("人居环境整治常态化,无垃圾乱堆乱放", "score", 10, 6, True, "现场照片、整治台账"),
        ("卫生厕所普及,生活污水有效治理", "pass", 10, 10, True, "改厕台账"),
        ("村庄绿化美化,公共空间整洁有序", "score", 10, 6, False, "现场照片"),
    ]),
    ("safety", "平安法治星", "无重大矛盾纠纷和刑事案件,法治建设扎实", [
        ("矛盾纠纷排查化解及时,无越级上访", "pass", 10, 10, True, "排查台账、调解记录"),
        ("网格化治理落实,“1+3+N”网格员履职到位", "score", 10, 6, True, "网格员名单、巡查记录"),
        ("开展法治宣传,有“法律明白人”", "score", 10, 6, False, "活动照片、名单"),
    ]),
    ("civility", "文明幸福星", "乡风文明,群众满意", [
        ("新时代文明实践站常态化开展活动", "score", 10, 6, True, "活动记录、照片"),
        ("移风易俗,红白理事会发挥作用", "pass", 10, 10, True, "村规民约、理事会记录"),
        ("开展“十星级文明户”等评选", "score", 10, 6, False, "评选结果公示照片"),
    ]),
]

URBAN = [
    ("branch", "支部过硬星", "社区党组织领导有力,党员作用发挥明显", [
        ("社区“两委”班子配备齐全,书记年度考核称职以上", "pass", 10, 10, True, "班子名单、考核结果"),
        ("严格落实“三会一课”、主题党日、组织生活会", "score", 10, 6, True, "会议记录、照片"),
        ("在职党员到社区报到,亮身份、作表率", "score", 10, 6, False, "报到台账"),
    ]),
    ("service", "服务优质星", "党群服务中心功能完善,服务精准", [
        ("党群服务中心功能完备,开放时间规范", "pass", 10, 10, True, "服务中心照片、制度上墙照片"),
        ("为新就业群体提供驿站、就餐、充电等服务", "score", 10, 6, True, "驿站照片、服务台账"),
        ("群众诉求办理及时,满意率达标", "score", 10, 6, True, "诉求台账"),
    ]),
    ("sharing", "共建共享星", "区域化党建有力,资源共享", [
        ("与驻区单位签订共建协议并开展活动", "score", 10, 6, True, "协议、活动照片"),
        ("“红色物业”覆盖,物业服务纳入社区治理", "pass", 10, 10, False, "物业党建台账"),
    ]),
    ("safety", "平安法治星", "社区平安稳定,法治氛围浓厚", [
        ("网格化管理全覆盖,微网格员履职到位", "score", 10, 6, True, "网格图、巡查记录"),
        ("矛盾纠纷化解及时,无重大安全事故", "pass", 10, 10, True, "调解记录"),
    ]),
    ("civility", "文明幸福星", "文明和谐,居民幸福感强", [
        ("新时代文明实践站常态化开展活动", "score", 10, 6, True, "活动记录、照片"),
        ("开展邻里节等社区文化活动", "score", 10, 6, False, "活动照片"),
    ]),
]

SETS = {"village": ("行政村“五星”支部创建标准", RURAL), "community": ("城市社区“五星”支部创建标准", URBAN)}


def seed(StandardSet, Star, StandardItem, year: int) -> None:
    for unit_kind, (name, stars) in SETS.items():
        std = StandardSet.objects.create(year=year, unit_kind=unit_kind, name=f"{year}年{name}", published=True)
        for order, (code, star_name, desc, items) in enumerate(stars, start=1):
            star = Star.objects.create(standard=std, code=code, name=star_name, order=order, description=desc)
            for n, (text, mode, max_score, pass_score, required, evidence) in enumerate(items, start=1):
                StandardItem.objects.create(star=star, order=n, text=text, mode=mode, max_score=max_score,
                                            pass_score=pass_score, required=required, evidence=evidence,
                                            min_files=1)
