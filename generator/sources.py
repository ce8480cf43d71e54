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
    "乡镇人民政府（街道办事处）的审核意见在申请家庭所在村（社区）公示，公示期为7天。",
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
