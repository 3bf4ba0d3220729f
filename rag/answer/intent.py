"""What kind of answer a question asks for, read from its question words.

The kind decides the answer's shape (a figure, a name, a list of points, one line per place, a computed
difference) and is one signal of the answerability model: a sentence without a number cannot answer
多少. Question words are a closed class in Chinese, so a short pattern list covers them; everything that
depends on the report's wording is left to the learned parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: (数字/数据 ask a figure when said alone, "具体数字呢"; before a noun they name a thing: 数字政务门牌.)
_NUMBER = re.compile(
    r"多少|几成|(?<![哪这十说讲列谈])几(?:个(?!地方|县|市|区|镇|乡|街道|方面|方向|重点)|[件家次回期项名人条场所位份万亿批支类起宗桩单笔例户座台辆张本套篇处间])|数量|数[字据](?![\u4e00-\u9fff]|[a-zA-Z])|数[字据](?=[是呢吗有])|比例|比率|[^效]率|占比|金额|总[数量额计]|百分|"
    r"多大|多长|多久|how many|how much|number of|percentage|rate", re.I,
)
_NAME = re.compile(r"哪家|哪[个一]?(单位|部门|机构|律所|公司|学校|平台|项目|文件|方案|称号|奖)|哪位|谁|名称|名字|叫什么|叫啥|什么名|文号|签发|which|who", re.I)
#: "…的点设在哪": the answer is a named place or office (a 司法所), unless shortcomings are asked ("差在哪").
_WHERE = re.compile(r"设在哪|在哪[里儿个]?[？?]?$")
_LIST = re.compile(r"哪些|有什么|有啥|有哪|包括|几个方面|哪几|哪[两三四五六七八九十]个?|列举|都有|都[干做搞办]了|"
                   r"都[^，。？?]{0,3}谁|what are|which .*s\b", re.I)
#: Everyday idioms of falling short ("还差点火候", "拖后腿"): they ask for a report's shortcomings.
SHORTFALL = "火候|差点意思|拖后腿|不尽如人意|拉胯|短处|差一截|不给力|软肋|弱项"
#: Verbs of putting effort somewhere ("从哪几个方面下手", "后面准备在哪使劲"): they ask how work is
#: done, never which topic.
EFFORT = "下手|入手|着手|发力|着力|使劲|使力|用劲|用力|加劲|加把劲|下功夫|下力气"
_SUMMARY = re.compile(
    # shortcomings, asked as such (not "解决了多少问题")
    r"(不足|问题|短板|差距|薄弱|毛病|缺点|困难)[^，。？?]{0,4}(有哪些|是什么|是啥|有啥|在哪|哪些)|"
    r"(哪些|什么|有啥|存在|承认|还有|自己说|检讨|反思)[^，。？?]{0,8}(不足|问题|短板|差距|薄弱|毛病|缺点|困难)|差在哪|"
    r"(哪里|哪儿|哪些地方|什么地方)[^，。？?]{0,8}[不没][够好行足做到]|(哪些|哪几[块处点个样方]?|什么|啥)[^，。？?]{0,3}[不没]([做弄搞干办]好|做到|[做弄搞干办]?到位|落实)|"
    rf"{SHORTFALL}|"
    # plans, asked as such (not "上线以后用的人多不多")
    rf"(下一步|明年|第二年|次年|接下来|今后|以后|往后|后续|后面|将来|未来)[^，。？?]{{0,8}}(打算|计划|准备|要做|要干|干啥|干什么|做什么|重点|抓|搞|安排|工作|思路|路数|路子|规划)|"
    rf"(工作)?(打算|思路|展望)|(咋|怎么|如何|怎样)(安排|规划)|(几|哪几)条[^，。？?]{{0,2}}(路子|路数)|(准备|打算|计划)[^，。？?]{{0,8}}(干|做|抓|搞|弄|{EFFORT})|"
    # "从哪几个方面下手", "在哪些方面发力": the points of a part or section
    rf"(哪几个?|哪些|几个)(方面|块|头)[^，。？?]{{0,3}}({EFFORT}|推进|开展|做|干|抓|搞)|"
    # achievements of a part
    r"主要(成绩|成效|做法|亮点|工作|举措|措施|内容)|(报告|这份|那份)[^，。？?]{0,4}(讲|说|写)了(些)?(什么|啥|哪些)|亮点|成绩|成效|做了哪些|干了(些)?啥|都干了|总结|概括|概述|梳理|"
    r"介绍一下|讲讲|说说|主要做了|[做干搞][成出]?了(些)?(什么|啥)|怎么搞|想怎么|重点抓|哪几件事|怎么做的|有什么举措|采取了哪些|"
    # "都有哪些做法", "是怎么审核把关的": the measures of a part, asked as such
    r"(哪些|哪几|什么|啥)[^，。？?]{0,4}(做法|举措|措施|办法|招|名堂|动作)|[搞弄干]了(哪些|些什么|些啥)|是怎么[^，。？?]{1,14}的|(一般|通常|平时|平常|具体|都)是?(怎么|如何)(?!样|回事|说)",
)
_YESNO = re.compile(r"有没有|是否|是不是|[^什]吗[？?。]*$|了没|没有[？?]$|did |does |is there", re.I)
_COMPARE = re.compile(r"(哪个|哪一个|哪家|哪里|哪边|谁)[^，。？?]{0,12}(最|更|比较|多|少|高|低|大|小)|分别|各自|各[个地]|对比|比较|相比|区别|差别|一样|"
                      r"几个地方|五个地方|这几[个份家]|哪[个些]地方(?![^，。？?]{0,8}[不没][够好行足做到])|各地|都是多少|"
                      r"每一?个(地方|县|区|镇)|所有(的)?(地方|县市|报告)|这些地方|各个?县市|几个县市|[这那]?[两三四五六几][份个篇]报告|[各每][份个篇]报告")
_MOST = re.compile(r"最(多|高|大|长|快|好|强)")
_LEAST = re.compile(r"最(少|低|小|短|慢|差|弱)")
_DIFF = re.compile(r"多了多少|少了多少|[多少高低]多少|净[少多增减]|[降升涨增减]了几|[降升涨增减]了多少|增加了多少|减少了多少|差多少|差几|相差|差了|高出|低了|多出|"
                   r"(?<!占)比(?![例率重])[^，。？?]{0,12}[多少高低]|增长了|下降了|变化|差距是多少|多几|少几|还[剩压]|还差(?![在哪距])|剩下|"
                   r"没.{0,3}(?<!做)(好|成|完|结|成功)|没[输败]|未(办结|化解|调解|结案)|还有[^，。？?]{0,10}[没未]|"
                   # "除了检查之外还有多少件", "除开隔壁吵的 剩下几件": the total less the part set aside
                   r"(?:除去|除了|除开|刨去|刨掉|扣除|扣掉|去掉)[^，。？?]{1,12}?(?:之外|以外)?的?[^，。？?]{0,4}(?:还有|剩下|剩|别的|其他|其余|另外)")
#: Words of a total ("一共多少") and of adding things up ("加起来"); either asks a sum.
_TOTAL_WORDS = "一共|总共|共计|总计"
_ADDING_WORDS = "合计|加起来|加在一起|加一块|加一起|加到一起|合在一起|总和|合起来"
_SUM = re.compile(f"{_TOTAL_WORDS}|{_ADDING_WORDS}")
#: "一共几件，输了几件": 一共 asks the stated total beside another count, not a sum of the two; an adding
#: word (or 加上/再加) still asks one.
_TOTAL_ASKED = re.compile(f"(?:{_TOTAL_WORDS})[有是办收了]{{0,2}}(?:多少|几)")
_ADDING = re.compile(f"加上|再加|{_ADDING_WORDS}")


def asks_total(question: str) -> bool:
    """"一共多少件", "总共几宗": a total is asked (stated by the report, or worked out from a flow)."""
    return bool(_TOTAL_ASKED.search(question))


def _total_among_asks(q: str) -> bool:
    return bool(_TOTAL_ASKED.search(q)) and len(re.findall(r"多少|几", q)) >= 2 and not _ADDING.search(q)
#: "德化和石狮谁做得多": a quantity compared between places; 谁 asks for the place, not for a person.
_WHO_MORE = re.compile(r"谁[^，。？?]{0,8}(多|少|高|低|快|慢|大|小|强|弱)")
_WHICH = r"(谁|哪个|哪一个|哪家|哪里|哪儿|哪边)[^，。？?]{0,12}"
_RANK = re.compile(_WHICH + r"(更|多|少|高|低|快|慢|大|小|强|弱)")
#: The direction of such a comparison: "安溪、德化、鲤城谁输得少" asks who has fewer (not 多少).
_RANK_LESS = re.compile(_WHICH + r"((?<!多)少|低|慢|小|弱|短)")
#: The year before as a comparison ("比去年多了多少", "上一年呢"); a plain 去年 ("石狮去年发了多少") is the
#: reporting year as a citizen says it.
_PREVIOUS_YEAR = re.compile(r"上一年|前一年|上年|往年|(?:比|较|跟|和|与|相比|对比|同比)[^，。？?]{0,3}去年|去年[^，。？?]{0,6}(?:相比|比)")


@dataclass(frozen=True)
class Intent:
    number: bool = False
    name: bool = False
    list: bool = False
    summary: bool = False
    yesno: bool = False
    compare: bool = False
    most: bool = False
    least: bool = False
    diff: bool = False
    sum: bool = False
    previous_year: bool = False
    rank: bool = False  # "谁…多", "哪个…多": which of the places has more
    fewer: bool = False  # "谁…少": which has less


    @property
    def arithmetic(self) -> bool:
        return self.number and (self.diff or self.sum)

    @property
    def superlative(self) -> bool:
        return self.most or self.least

    def vector(self) -> list[float]:
        return [float(self.number), float(self.name), float(self.list or self.summary), float(self.yesno)]


#: "承认的毛病有几条，都是啥": the number of a summary's points, which its list answer states ("共3点").
_POINTS_COUNT = re.compile(r"(?:几|多少)(?:[条项点]|个?方面)")


def read_intent(question: str) -> Intent:
    q = question.strip()
    summary = bool(_SUMMARY.search(q))
    number = bool(_NUMBER.search(_POINTS_COUNT.sub("", q) if summary else q))
    # "还有哪些没做好的地方" asks for shortcomings, not for how many are left undone.
    diff = bool(_DIFF.search(q)) and (number or not summary)
    who_more = bool(_WHO_MORE.search(q))
    return Intent(
        number=number or diff or who_more,
        name=bool(_NAME.search(_WHO_MORE.sub("", q))) or (bool(_WHERE.search(q)) and not summary),
        list=bool(_LIST.search(q)),
        summary=summary and not number,
        yesno=bool(_YESNO.search(q)),
        compare=bool(_COMPARE.search(q)),
        most=bool(_MOST.search(q)),
        least=bool(_LEAST.search(q)),
        diff=diff,
        sum=bool(_SUM.search(q)) and not _total_among_asks(q),
        previous_year=bool(_PREVIOUS_YEAR.search(q)),
        rank=bool(_RANK.search(q)),
        fewer=bool(_RANK_LESS.search(q)),
    )
