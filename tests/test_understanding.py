"""Reading questions the way people ask them: follow-ups, question kinds, real place names, figures."""

from __future__ import annotations

import pytest

from rag.answer.base import Turn
from rag.answer.conversation import resolve_follow_up
from rag.answer.intent import read_intent
from rag.answer.numbers import difference, figure_near, figures, same_unit, total
from rag.retrieval.gazetteer import Gazetteer
from rag.retrieval.scope import DocPlaces, ScopeResolver

DOCS = [
    DocPlaces("shishi-2024", ["福建省", "泉州市", "石狮市"], 2024),
    DocPlaces("anxi-2023", ["福建省", "泉州市", "安溪县"], 2023),
    DocPlaces("huqiu-2024", ["福建省", "泉州市", "安溪县", "虎邱镇"], 2024),
    DocPlaces("dehua-2024", ["福建省", "泉州市", "德化县"], 2024),
    DocPlaces("licheng-2024", ["福建省", "泉州市", "鲤城区"], 2024),
]


@pytest.fixture(scope="module")
def resolver() -> ScopeResolver:
    mentioned = {"北京市", "北京", "永春"}
    return ScopeResolver(DOCS, gazetteer=Gazetteer(), mentioned=lambda w: w in mentioned)


def _h(*turns: str) -> list[Turn]:
    return [Turn("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(turns)]


@pytest.mark.parametrize(("history", "question", "expected", "searched"), [
    (("石狮市办了多少件法律援助案件？", "……"), "那安溪县呢？", "安溪县办了多少件法律援助案件？", None),
    (("石狮市2024年新收了多少件行政复议案件？", "……"), "2023年呢？", "石狮市2023年新收了多少件行政复议案件？", None),
    (("虎邱镇的法律顾问是谁？", "福建铭群律师事务所李雪萍律师[1]"), "她审了多少份合同？", "虎邱镇审了多少份合同？", "法律顾问"),
    (("德化县的政务服务怎么样？", "……"), "群众满意率呢？", "德化县群众满意率？", None),
    (("鲤城区2024年信访总量是多少？", "……"), "比上一年少了多少？", "鲤城区2024年信访总量比上一年少了多少？", None),
    (("安溪县的行政复议情况？", "……", "那虎邱镇呢？", "……"), "该镇聘了哪家律所？", "虎邱镇聘了哪家律所？", None),
    # Words that only point at the place ("那边", "下面的") do not make a new question.
    (("石狮去年帮多少家企业修复了信用？", "1015家"), "那德化那边呢？", "德化去年帮多少家企业修复了信用？", None),
    (("安溪县培养了多少法律明白人？", "6229名"), "那下面的虎邱镇有几个？", "虎邱镇培养了多少法律明白人？", None),
    # Pointing back at the last figure ("这个数"), or at the whole new place ("全县"), asks the last question.
    (("石狮市2024年通过“闽执法”平台录入了多少执法案件？", "16180起"), "鲤城区这个数是多少？",
     "鲤城区2024年通过“闽执法”平台录入了多少执法案件？", None),
    (("虎邱镇有多少法律明白人？", "20人"), "安溪全县呢？", "安溪有多少法律明白人？", None),
    # "类似的" keeps a question of its own, searched on the last topic.
    (("石狮哪个免费法律服务的招牌拿了省里十佳？", "三链融通"), "鲤城有没有类似的牌子？", "鲤城有没有类似的牌子？", "招牌"),
    # A switched place that goes on to ask more keeps the last topic for the search.
    (("虎邱镇在执法平台上录了多少案子？", "141件"), "那鲤城区呢？里面罚了的有多少？",
     "鲤城区在执法平台上录了多少案子，里面罚了的有多少？", "执法平台"),
    # Setting the places talked about side by side: every place of the conversation, on its topic.
    (("石狮抽查了多少执法案卷？", "470件", "德化呢？", "71卷"), "这两个差了多少？",
     "石狮和德化抽查了多少执法案卷，这两个差了多少？", None),
    (("鲤城主动公开了多少份文件？", "652份"), "石狮呢？哪边多？", "鲤城和石狮主动公开了多少份文件，哪边多？", None),
    # 安溪's report is for 2023, 石狮's for 2024: the year of the first question is not forced on both.
    (("安溪县2023年有多少普法志愿者？", "1288名"), "石狮的比它多吗？", "安溪县和石狮有多少普法志愿者，比多吗？", None),
    # "这个镇" after "哪个镇…？" is the town the answer named, not the county the question named.
    (("哪个镇在安溪县里带头成立了镇诚信促进会？", "是虎邱镇，它在全县率先成立镇诚信促进会"), "这个镇抓安全生产查了多少家？",
     "虎邱镇抓安全生产查了多少家？", None),
    # "那公证呢" after a count asks the same count of another thing.
    (("德化县2024年办了多少法律援助案件？", "1332件"), "那公证呢", "德化县公证有多少？", None),
    # "那X呢，<its own asks>" switches topic at the same place; "那下面村里呢" narrows the place.
    (("德化县去年行政复议办了多少件？", "73件"), "那行政官司呢 一共几件 输了几件", "德化县行政官司，一共几件 输了几件？",
     None),
])
def test_follow_ups_resolve_against_the_conversation(resolver, history, question, expected, searched):
    got = resolve_follow_up(question, _h(*history), resolver)
    assert got.standalone == expected
    if searched:
        assert searched in got.search


def test_a_question_asking_which_town_of_a_county_reads_the_towns_reports(resolver):
    assert resolver.resolve("哪个镇在安溪县里带头成立了镇诚信促进会？").doc_ids == ["anxi-2023", "huqiu-2024"]
    assert resolver.resolve("安溪县有多少法律明白人").doc_ids == ["anxi-2023"]


def test_a_new_question_is_not_bent_into_a_follow_up(resolver):
    history = _h("石狮市办了多少件法律援助案件？", "……")
    for q in ("哪个地方的法律援助案件最多？", "德化县的文号是什么？"):
        assert resolve_follow_up(q, history, resolver).standalone == q


@pytest.mark.parametrize(("question", "unknown"), [
    ("除了县里通办，他们还跟哪些邻近的县搞跨县办理？", []),
    ("乘用车市场今年怎么样？", []),
    ("什么时期的市场最活跃？", []),
    ("城区的执法队伍有多少人？", []),
    ("晋江市的法律顾问是谁？", ["晋江市"]),
    ("厦门2024年的行政复议案件多少件？", ["厦门"]),
    ("北京市的情况呢？", []),  # named in the corpus text: not unknown
    ("石狮市和晋江市的执法案件各多少？", ["晋江市"]),
    # A county named without its suffix, where the tagger reads it as a place; not 和平 in 世界和平.
    ("南安去年矛盾纠纷排查了多少件", ["南安"]),
    ("永春的法律援助呢？", []),  # named in the corpus text
    ("为了世界和平做了哪些普法？", []),
])
def test_only_real_places_outside_the_corpus_are_unknown(resolver, question, unknown):
    assert resolver.resolve(question).unknown_places == unknown


@pytest.mark.parametrize(("question", "corrected"), [
    ("虎丘镇政府的法律顾问是谁？", "虎邱镇政府的法律顾问是谁？"),  # pinyin input's homophone of 虎邱
    ("安溪、虎丘镇、鲤城各立案多少起？", "安溪、虎邱镇、鲤城各立案多少起？"),
    ("苏州虎丘区的法律顾问是谁？", "苏州虎丘区的法律顾问是谁？"),  # 苏州 too is outside: a real other place
    ("晋江市的法律顾问是谁？", "晋江市的法律顾问是谁？"),  # no covered place sounds like it
    ("石狮市的法律顾问是谁？", "石狮市的法律顾问是谁？"),
])
def test_a_covered_place_typed_as_its_homophone_is_corrected(resolver, question, corrected):
    assert resolver.correct_homophones(question) == corrected


@pytest.mark.parametrize(("question", "kind"), [
    ("德化给请不起律师的人办了多少援助案子", "number"),
    ("虎邱镇请的哪家律所", "name"),
    ("石狮市的报告里承认了哪些不足？", "summary"),
    ("鲤城区明年打算干啥？", "summary"),
    ("五个地方里哪个政务服务最有特色？", "compare"),
    ("安溪和石狮的志愿者加起来有多少人", "sum"),
    ("比上一年少了多少？", "diff"),
    ("鲤城2025年法治上准备怎么弄？", "summary"),
    ("德化25年在依法管事上打算怎么搞，几个方向说说", "summary"),  # 几个方向 asks for points, not a count
    ("鲤城搞依法行政自己觉得哪些地方没做好？", "summary"),
])
def test_question_kinds(question, kind):
    intent = read_intent(question)
    assert getattr(intent, kind), intent


def test_a_total_asked_beside_another_count_is_not_a_sum():
    assert not read_intent("那行政官司呢 一共几件 输了几件").sum
    assert read_intent("新收的加上上年转过来的 一共多少 还剩几件没办完").sum


def test_a_new_topic_at_the_same_place_does_not_search_with_the_last_one(resolver):
    got = resolve_follow_up("那行政官司呢 一共几件 输了几件", _h("德化县去年行政复议办了多少件？", "73件"), resolver)
    assert got.new_topic and "复议" not in got.search
    kept = resolve_follow_up("那下面村里呢，有多少个村配上了？", _h("德化县法律顾问覆盖了多少？", "……"), resolver)
    assert not kept.new_topic and "法律顾问" in kept.search


def test_figures_and_arithmetic_show_their_working():
    s = "2024年累计办理法律援助案件1332件，线上线下提供免费法律咨询2116人次。"
    assert [f.text for f in figures(s)] == ["1332件", "2116人次"]
    assert figure_near(s, ["法律援助"]).text == "1332件"
    assert figure_near(s, ["法律咨询"]).text == "2116人次"
    a, b = figures("排查矛盾纠纷1825件，成功调解1821件")
    assert difference(a, b) == "1825−1821=4件"
    assert total([a, b]) == "1825+1821=3646件"
    p, q = figures("败诉率9.26%，相比2022年的败诉率（11.98%）")
    assert difference(p, q) == "11.98−9.26=2.72个百分点"


def test_a_share_asked_is_not_a_difference():
    # 比例 holds 比 but compares nothing: no "100−1.37=98.63" for a rate asked.
    assert not read_intent("鲤城区告政府输掉的比例是多少？").diff
    assert read_intent("德化比鲤城多办了多少法律援助案件？").diff


def test_durations_and_counts_in_words_are_figures_of_their_kind():
    from rag.answer.numbers import figures, kind_fit, wanted_kind

    assert [(f.text, f.kind) for f in figures("最高10年监禁，3个月内，5个工作日，2023年")] == [
        ("10年", "time"), ("3个月", "time"), ("5个工作日", "time")]  # 2023年 is a year, not a duration
    question = "他回国后可能面临的最高监禁时间是多久？"
    assert kind_fit(question, wanted_kind(question), "他最高可被判处10年监禁") == 1.0
    assert kind_fit(question, wanted_kind(question), "审查合同90件") == -1.0


def test_times_asked_as_hui_and_visits_counted_in_hu_ci():
    # "几回" asks a number of times; "2088户次" counts visits, not households (户).
    assert read_intent("上了几回课").number
    assert [f.unit for f in figures("年度监督检查公共场所2088户次。")] == ["户次"]


def test_a_function_character_glued_to_the_verb_is_not_part_of_the_word():
    from rag.answer.evidence import question_terms

    assert "录" in question_terms("虎邱在执法平台上录了多少案件", ["虎邱"])
    assert "录" in question_terms("三地各录了多少案件", [])


def test_a_comparison_naming_its_own_places_is_not_joined_to_the_conversations(resolver):
    history = _h("石狮后面准备在哪几方面使劲？", "……", "那安溪呢？", "……")
    resolved = resolve_follow_up("德化和鲤城打官司，哪边政府输的比例高？", history, resolver)
    assert resolved.standalone == "德化和鲤城打官司，哪边政府输的比例高？"


def test_a_place_switch_replaces_a_place_no_report_covers(resolver):
    history = _h("晋江去年免费帮老百姓打官司打了多少件？", "……")
    assert resolve_follow_up("那德化呢？", history, resolver).standalone == "德化去年免费帮老百姓打官司打了多少件？"



@pytest.mark.parametrize(("a", "b", "comparable"), [
    ("3353起", "4155件", True),  # cases in 起 and in 件
    ("97项", "72个", True),  # items, one counted in the generic 个
    ("33942份", "33698本", True),  # certificates in 份 and in 本
    ("12596件", "83个", False),  # cases against apps: never subtracted
    ("127个", "357万条", False),  # catalogues against data records: never added
    ("1425件", "24.2万", False),
])
def test_counts_are_combined_only_in_measure_words_of_one_sort(a, b, comparable):
    fa, fb = figures(f"共{a}。")[0], figures(f"共{b}。")[0]
    assert same_unit([fa, fb]) is comparable
