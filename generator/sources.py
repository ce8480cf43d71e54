"""The legal sources every enforced rule cites.

A rule names one of these constants; error messages and the explainer pages
print `Source.cite()`, so a rule and its citation cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    document: str
    article: str
    gist: str  # what the article says, in our words, for the explainer page

    def cite(self) -> str:
        return f"{self.document}{self.article}"


DIBAO_MEASURES = "《最低生活保障审核确认办法》（民发〔2021〕57号）"
PIPL = "《中华人民共和国个人信息保护法》"

DIBAO_PUBLICITY = Source(
    DIBAO_MEASURES,
    "第十九条",
    "乡镇人民政府（街道办事处）的审核意见在申请家庭所在村（社区）公示，公示期为7天；"
    "公示有异议的，重新调查核实，审核意见改变的，重新公示。",
)
DIBAO_AMOUNT = Source(
    DIBAO_MEASURES,
    "第二十三条",
    "低保金按家庭人均收入与当地低保标准的差额计算，或按困难程度分档计算，"
    "因此每月保障金额不超过当地低保标准乘以家庭人口数。",
)
DIBAO_RESULT = Source(
    DIBAO_MEASURES,
    "第二十四条",
    "审批后公布低保家庭申请人姓名、家庭成员数量、保障金额等信息，"
    "信息公布应当依法保护个人隐私，不得公开无关信息。",
)
DIBAO_HOTLINE = Source(
    DIBAO_MEASURES,
    "第三十六条",
    "公布社会救助服务（监督）热线，接受群众咨询、监督和投诉。",
)
PERSONAL_INFO = Source(
    PIPL,
    "第六条、第二十八条",
    "处理个人信息应当限于实现处理目的的最小范围；医疗健康、金融账户、特定身份等信息属于敏感个人信息。",
)
PERIOD_COUNTING = Source(
    "《中华人民共和国民法典》",
    "第二百零一条",
    "按日计算期间的，开始的当日不计入，自下一日开始计算。",
)
PERIOD_END = Source(
    "《中华人民共和国民法典》",
    "第二百零三条",
    "期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日；"
    "最后一日的截止时间为二十四时。",
)

TEKUN_MEASURES = "《特困人员认定办法》（2021年）"
TEKUN_PUBLICITY = Source(
    TEKUN_MEASURES,
    "第十五条",
    "乡镇人民政府（街道办事处）的审核意见在申请人所在村（社区）公示7天；"
    "有异议的，重新组织调查核实，并重新公示。",
)
TEKUN_RESULT = Source(TEKUN_MEASURES, "第十七条", "县级民政部门审批后，公布特困人员认定结果。")
TEKUN_TERMINATION = Source(
    TEKUN_MEASURES,
    "第二十六条",
    "终止救助供养的，在其所在村（社区）公示7天，公示期满后终止。",
)
RELIEF_MEASURES = "《社会救助暂行办法》"
TEMP_AID_PROCEDURE = Source(
    RELIEF_MEASURES,
    "第四十八条",
    "申请临时救助的，经审核、公示后审批；情况紧急的，可以按照规定简化审批手续。",
)
TEMP_AID_EMERGENCY = Source(
    "《民政部 财政部关于进一步加强和改进临时救助工作的意见》（民发〔2018〕23号）",
    "关于“先行救助”的规定",
    "对急难型临时救助可以先行救助，紧急情况解除后补齐手续、登记救助信息并事后公示。",
)
DUAL_DISCLOSURE_DEADLINE = Source(
    "《国务院办公厅关于运用大数据加强对市场主体服务和监管的若干意见》（国办发〔2015〕51号）",
    "关于行政许可、行政处罚信息公示的要求",
    "行政许可、行政处罚决定作出之日起7个工作日内上网公开。",
)

DISABILITY_SUBSIDIES = "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）"
LIVING_SUBSIDY_TARGET = Source(
    DISABILITY_SUBSIDIES,
    "“补贴对象”",
    "困难残疾人生活补贴主要补助最低生活保障家庭中的残疾人。",
)
CARE_SUBSIDY_GRADE = Source(
    DISABILITY_SUBSIDIES,
    "“补贴对象”",
    "重度残疾人护理补贴的对象为残疾等级被评定为一级、二级且需要长期照护的重度残疾人。",
)
# The county's own plan (the report cites 冷民发〔2020〕19号); a county adopting the tool names its own.
TWO_SUBSIDIES_PLAN = "《示范县残疾人两项补贴实施方案》（示例：请改为本县文件）"
TWO_SUBSIDIES_PUBLICITY = Source(
    TWO_SUBSIDIES_PLAN,
    "“审核公示”",
    "乡镇（街道）审核意见在申请人所在村（社区）公示7天，期满无异议后由县民政部门审定并公布。",
)
TWO_SUBSIDIES_AMOUNT = Source(
    TWO_SUBSIDIES_PLAN,
    "“补贴标准”",
    "困难残疾人生活补贴和重度残疾人护理补贴按县定标准每人每月发放，每月补贴金额不超过标准（标准见本页“补贴对象和标准”）。",
)
TEKUN_NO_DISABILITY_SUBSIDIES = Source(
    TWO_SUBSIDIES_PLAN,
    "“补贴对象”",
    "一、二级残疾人享受护理补贴，享受低保的一至四级残疾人享受生活补贴，特困人员不享受残疾人两项补贴。",
)

DE_FACTO_ORPHANS_NOT_POSTED = Source(
    "《民政部等12部门关于进一步加强事实无人抚养儿童保障工作的意见》（民发〔2019〕62号）",
    "关于认定程序的规定",
    "为保护儿童隐私，事实无人抚养儿童的认定不宜设置公示环节。",
)
MINORS_SENSITIVE = Source(
    PIPL,
    "第二十八条",
    "不满十四周岁未成年人的个人信息属于敏感个人信息；《未成年人保护法》第四条要求保护未成年人隐私。",
)

# 临时救助: the township's approval limit. The county report: 审批权限下放到乡镇（街道）, with a per-case limit.
TEMP_AID_PLAN = "《示范县临时救助实施细则》（示例：请改为本县文件）"
TEMP_AID_TOWNSHIP_LIMIT = Source(
    TEMP_AID_PLAN,
    "“审批权限”",
    "临时救助审批权限下放到乡镇（街道）：乡镇（街道）审批的临时救助每人每次不超过县定限额，超过限额的报县民政局审批。",
)

# 高龄补贴、百岁老人长寿保健金、基本养老服务补贴
OLD_AGE_WELFARE = Source(
    "《中华人民共和国老年人权益保障法》",
    "第三十三条",
    "国家建立和完善老年人福利制度；国家鼓励地方建立八十周岁以上低收入老年人高龄津贴制度。",
)
ELDERLY_PLAN = "《示范县老年人福利补贴发放管理办法》（示例：请改为本县文件）"
ELDERLY_PUBLICITY = Source(
    ELDERLY_PLAN,
    "“审核公示”",
    "乡镇（街道）审核后，在老年人户籍所在村（社区）公示7天，期满无异议后由县民政部门审定并公布。",
)
ELDERLY_AGE = Source(
    ELDERLY_PLAN,
    "“补贴对象”",
    "高龄补贴发给80至99周岁的老年人，按80—89周岁、90—99周岁两个年龄段发放；百岁老人长寿保健金发给100周岁及以上的老年人。"
    "年龄按身份证上的出生日期计算到公示（公布）当天，只公开年龄段。",
)
ELDERLY_AMOUNT = Source(
    ELDERLY_PLAN,
    "“补贴标准”",
    "高龄补贴按年龄段确定每月标准；百岁老人长寿保健金、基本养老服务补贴按本县标准按月发放。",
)

# 孤儿基本生活费: children; published as counts per village only.
ORPHAN_ALLOWANCE = Source(
    "《国务院办公厅关于加强孤儿保障工作的意见》（国办发〔2010〕54号）",
    "“建立孤儿基本生活保障制度”",
    "为社会散居孤儿和福利机构集中供养孤儿发放基本生活费。",
)
MINORS_PRIVACY = Source(
    "《中华人民共和国未成年人保护法》",
    "第四条",
    "处理涉及未成年人的事项，应当保护未成年人隐私权和个人信息。本站对儿童类项目只公开各村（社区）人数汇总，"
    "人数过少、可能认出具体儿童的格子不显示具体数字，并隐去能够推算出这些人数的其他数字（门槛见本页）。",
)

# 困难群众殡葬救助: the county report names the county's own measure (关于补助城乡困难群众基本殡葬服务费的实施办法).
FUNERAL_PLAN = "《示范县困难群众基本殡葬服务费补助实施办法》（示例：请改为本县文件）"
FUNERAL_RESULT = Source(
    FUNERAL_PLAN,
    "“审核发放和公开”",
    "困难群众去世后由亲属申请，乡镇（街道）审核、县民政部门审批后发放补助，并在其所在村（社区）公布补助对象和金额。",
)
FUNERAL_AMOUNT = Source(
    FUNERAL_PLAN,
    "“补助标准”",
    "每位逝者的每一项补助（基本殡葬服务费补助、生态安葬奖补）各不超过县定标准（元/人·次）。",
)
FUNERAL_ONCE = Source(
    FUNERAL_PLAN,
    "“补助对象”",
    "每位逝者的每一项补助只发放一次：已在一份公布中发放过的，不能在另一份公布中再次发放。",
)

# 社会组织年检
SOCIAL_ORG_INSPECTION = Source(
    "《民办非企业单位年度检查办法》（民政部令第27号）",
    "第四条",
    "登记管理机关作出年检结论，发布年检结论公告；年检结论分为合格、基本合格、不合格。",
)

# 村(居)务公开
# Wording checked against published texts of the 2018 revision (articles 22, 24, 26, 30); the gist is ours.
VILLAGE_COMMITTEE_LAW = "《中华人民共和国村民委员会组织法》"
VILLAGE_AFFAIRS_DISCLOSURE = Source(
    VILLAGE_COMMITTEE_LAW,
    "第三十条",
    "村民委员会实行村务公开制度，及时公布村民会议、村民代表会议讨论决定的事项及其实施情况等事项，接受村民监督；"
    "一般事项至少每季度公布一次，集体财务往来较多的，财务收支情况应当每月公布一次，"
    "涉及村民利益的重大事项应当随时公布。",
)
VILLAGE_AFFAIRS_TRUTH = Source(
    VILLAGE_COMMITTEE_LAW,
    "第三十条最后一款",
    "村民委员会应当保证所公布事项的真实性，并接受村民的查询。本站据此核对财务收支公开的各项金额、合计和结余。",
)
VILLAGE_MEETING_MATTERS = Source(
    VILLAGE_COMMITTEE_LAW,
    "第二十四条",
    "本村公益事业的兴办和筹资筹劳方案及建设承包方案、村集体经济项目的立项和承包方案等涉及村民利益的事项，"
    "经村民会议（或经其授权的村民代表会议）讨论决定方可办理。",
)
VILLAGE_MEETING_QUORUM = Source(
    VILLAGE_COMMITTEE_LAW,
    "第二十二条",
    "召开村民会议，应当有本村十八周岁以上村民的过半数，或者本村三分之二以上的户的代表参加；"
    "所作决定应当经到会人员的过半数通过。",
)
VILLAGE_REPRESENTATIVES_QUORUM = Source(
    VILLAGE_COMMITTEE_LAW,
    "第二十六条",
    "村民代表会议有三分之二以上的组成人员参加方可召开，所作决定应当经到会人员的过半数同意。",
)
VILLAGE_RULES = Source(
    VILLAGE_COMMITTEE_LAW,
    "第二十七条",
    "村民会议可以制定和修改村民自治章程、村规民约，并报乡（镇）人民政府备案；"
    "村规民约不得与宪法、法律、法规和国家的政策相抵触，不得有侵犯村民人身权利、民主权利和合法财产权利的内容。",
)

# Rules of the tool's own checks that hold for every program of persons.
# One listing per person, program and month: a county's payment rules (the demo county's placeholder).
MONTHLY_ONCE = Source(
    "《示范县社会救助资金发放管理办法》（示例：请改为本县文件）",
    "“按月发放”",
    "社会救助资金按月发放，同一项目每人每月只列入一份公布名单、只发放一次；同一人同月出现在两份公布中的，核实后删去重复的一行。",
)
# Resident ID numbers, checked on import (never published): the national standard.
ID_NUMBER_STANDARD = Source(
    "《公民身份号码》国家标准（GB 11643—1999）",
    "“号码的结构”“校验码”",
    "公民身份号码共18位：6位地址码、8位出生日期码、3位顺序码和1位校验码，校验码按 ISO 7064:1983 MOD 11-2 计算。"
    "导入名册时据此核对每个身份证号，录错的不能导入；身份证号只用来核对，不在本站公开。",
)
