"""Summaries and lists answered from the report's own structure (real index, real embedded model): the
part a question asks for (work, shortcomings, plans) read from heading meaning, the section its topic
names, and every point of it listed and cited."""

from __future__ import annotations

import re

import pytest

from rag.answer.intent import read_intent
from rag.answer.outline import point_text
from rag.answer.parts import PLANS, PROBLEMS, WORK, asked_part, heading_parts

POINT = re.compile(r"^(\d+)\. (.*)\[\d+\]$", re.M)


def _points(answer: str) -> list[str]:
    return [m.group(2) for m in POINT.finditer(answer)]


def test_question_words_name_the_part():
    assert asked_part("虎邱镇来年有啥安排？")[0] == PLANS
    assert asked_part("鲤城区哪里做得不好？")[0] == PROBLEMS
    assert asked_part("德化县去年有什么亮点？")[0] == WORK
    assert asked_part("安溪县的法律顾问是谁？")[0] is None


def test_heading_parts_are_read_from_meaning(pipeline):
    headings = ["四、工作中还存在的短板弱项", "五、2026年重点任务", "二、坚持依法行政，建设人民满意政府",
                "存在问题", "下一步工作"]
    kinds = heading_parts(headings, pipeline.sentence_vectors)
    assert [kinds[h] for h in headings] == [PROBLEMS, PLANS, WORK, PROBLEMS, PLANS]


def test_report_numbers_are_not_doubled():
    assert point_text("一是法治政府建设工作合力仍需进一步提升") == "法治政府建设工作合力仍需进一步提升"
    assert point_text("2.纵深推进项目审批制度改革") == "纵深推进项目审批制度改革"
    assert point_text("（三）全面加强执法工作") == "全面加强执法工作"
    assert point_text("三是**组建志愿队伍**。") == "组建志愿队伍。"


def test_shortcomings_are_listed_without_the_reports_own_numbers(pipeline):
    result = pipeline.ask("鲤城区自己觉得哪里做得还不够？")
    assert not result.refused, result.answer
    points = _points(result.answer)
    assert len(points) == 3, result.answer
    assert not any(re.match(r"[一二三]是|\d+[.．]|（", p) for p in points), result.answer
    assert all("存在问题" in c.section for c in result.citations)


def test_achievements_without_a_heading_of_their_own_are_the_first_level_sections(pipeline):
    result = pipeline.ask("石狮这一年法治政府建设干出了哪些成绩？")
    assert not result.refused, result.answer
    points = _points(result.answer)
    assert len(points) == 5, result.answer  # 一、…五、 are the work; 六 (problems) and 七 (plans) are not
    assert not any("存在问题" in c.section or "下一步" in c.section for c in result.citations)


def test_topic_inside_the_plans_part_picks_its_section(pipeline):
    result = pipeline.ask("石狮今后在法治宣传方面打算怎么做？")
    assert not result.refused, result.answer
    assert len(_points(result.answer)) >= 3, result.answer  # the sentences of that plan, not one
    assert all(c.section.startswith("七、下一步工作计划 > （三）") for c in result.citations), result.answer


def test_every_enumerated_item_is_listed_across_chunks(pipeline):
    result = pipeline.ask("安溪县普法方面主要做了哪几件事？")
    assert not result.refused, result.answer
    points = _points(result.answer)
    for key in ("落实普法责任", "加强阵地建设", "组建志愿队伍"):
        assert any(key in p for p in points), result.answer
    assert "**" not in result.answer


def test_a_plans_part_of_one_sentence_is_still_the_answer(pipeline):
    result = pipeline.ask("安溪县下一步有什么打算？")
    assert not result.refused, result.answer
    assert "行政复议体制改革" in result.answer
    assert all(c.section == "下一步工作" for c in result.citations)


def test_colloquial_doing_words_are_not_a_topic(pipeline):
    # "干点啥" asks what will be done, like "干啥": the plans part answers, not a search for "干点".
    result = pipeline.ask("虎邱镇明年准备干点啥？")
    assert not result.refused, result.answer
    assert "打造专业法治队伍" in result.answer and "下一步" in result.citations[0].section


@pytest.mark.parametrize(("question", "point", "section"), [
    # The report's own theme in a citizen's words (依法办事 for 法治政府建设) is not a topic the part lacks.
    ("德化自己说依法办事上还有哪些短板", "法治建设人才保障不足", "存在问题"),
    ("鲤城搞依法行政自己觉得哪些地方没做好？", "被动思想", "存在问题"),
    ("石狮明年在依法办事这块打算干点啥", "法治示范市", "计划"),
])
def test_the_reports_theme_in_everyday_words_asks_for_the_whole_part(pipeline, question, point, section):
    result = pipeline.ask(question)
    assert not result.refused, result.answer
    assert point in result.answer and section in result.citations[0].section


def test_asking_for_the_measures_taken_gets_the_sections_points(pipeline):
    # "都做了些什么" / "是怎么…的" ask for what a section lists, not for its closest sentence.
    result = pipeline.ask("安溪在防灾应急这块都做了些什么")
    assert not result.refused
    for key in ("1+40+11+N", "空天一体化"):
        assert key in result.answer, result.answer
    result = pipeline.ask("德化政府出规范性文件之前是怎么审核把关的")
    for key in ("强化审查靠前服务", "起草单位初审", "提前介入审查"):
        assert key in result.answer, result.answer


def test_an_in_sentence_list_answers_which_kinds_and_problems_dealt_with_are_not_shortcomings(pipeline):
    # "集中整治了哪几类问题" asks about work done, listed in one sentence (甲、乙、丙), not the 存在问题 part.
    result = pipeline.ask("德化在打盗版山寨、乱申请专利商标这些事上，集中整治了哪几类问题？")
    assert all(w in result.answer for w in ("侵权假冒", "非正常专利申请", "商标恶意申请")), result.answer
    assert asked_part("德化集中整治了哪几类问题")[0] is None and asked_part("德化还有哪些问题")[0] == "problems"
    # "十几条办法" describes the measures; it does not ask how many.
    assert not read_intent("石狮帮私营老板的那十几条办法，大体分哪几块？").number
    # "搞了哪些新招", "主要搞了哪些名堂": the measures of a part, answered by its points.
    assert read_intent("德化为了让老百姓办事少跑腿，2024年都搞了哪些新招？").summary
    assert read_intent("德化去年在办事方便老百姓上主要搞了哪些名堂？").summary


def test_things_of_one_kind_asked_of_a_part_are_its_best_sentence(pipeline):
    # "下一步请哪些人来上课": the plan naming them, not the plans part's list of points.
    answer = pipeline.ask("虎邱镇下一步给执法人员搞业务培训，打算请哪些人来上课？").answer
    assert "法律专家" in answer and "资深法官" in answer and "共3点" not in answer, answer
    answer = pipeline.ask("石狮下一步想借哪些短视频平台给年轻人普法？").answer
    assert "抖音" in answer and "快手" in answer, answer
    # The areas a plans part names, asked as such, are the sentence listing them.
    answer = pipeline.ask("鲤城区2025年法治建设准备重点关注哪些领域？").answer
    assert all(w in answer for w in ("社会治理", "古城文旅", "民生保障")), answer
    # A subject the named part does not speak of (毛病 asked of the 红黄蓝 warnings) is the sentence about it.
    answer = pipeline.ask("执法预警平台上的红黄蓝三色预警，主要是盯哪些毛病？").answer
    assert "有案不立" in answer and "压案不查" in answer, answer
    # The part's own points are still the answer to a question about the part, or an area of it.
    assert "共6点" in pipeline.ask("石狮以后普法想怎么搞").answer
    assert "共3点" in pipeline.ask("虎邱下一步打算做哪些工作").answer


@pytest.mark.parametrize(("question", "wanted", "other"), [
    # 普法 is one of 石狮's four plans (a sub-section) and one of 德化's three shortcomings (an 二是 item):
    # that item's sentences answer, not every plan's or problem's heading.
    ("石狮明年打算怎么把普法宣传做得更好？", ("志愿者培训长效机制", "年轻群体", "固定宣传阵地"), "闽执法"),
    ("德化的普法宣传哪里做得不够好？", ("宣传形式较为单一", "参与感不强"), "公职律师"),
    ("石狮明年普法打算咋搞", ("志愿者培训长效机制", "固定宣传阵地"), "闽执法"),  # 咋 is 怎么, not a topic
])
def test_a_topic_of_one_item_of_a_part_gets_that_items_sentences(pipeline, question, wanted, other):
    result = pipeline.ask(question)
    assert not result.refused, result.answer
    assert all(w in result.answer for w in wanted), result.answer
    assert other not in result.answer, result.answer


@pytest.mark.parametrize(("question", "points"), [
    # 「哪些薄弱的地方」 names the problems part by its own word, not things of one kind.
    ("德化法治政府还有哪些薄弱的地方", ("法治建设人才保障不足", "行政执法规范化", "普法宣传效果")),
    # 「从哪几个方面发力」 asks for the plans' points; the plans of a 2024 report are about 2025.
    ("鲤城区今年（2025年）法治政府建设准备从哪几个方面发力？", ("政治站位", "优化政府职能", "改革赋能", "规范权力运行")),
    ("安溪去年搞普法，主要是从哪几个方面下手的？", ("落实普法责任", "加强阵地建设", "组建志愿队伍")),
])
def test_where_work_starts_and_weak_spots_ask_for_the_points(pipeline, question, points):
    result = pipeline.ask(question)
    assert not result.refused, result.answer
    assert len(_points(result.answer)) == len(points), result.answer
    assert all(p in result.answer for p in points), result.answer


@pytest.mark.parametrize(("question", "points"), [
    # Effort verbs (使劲) and owning up (坦白) name no section; 后面 asks for the plans.
    ("石狮后面准备在哪几方面使劲？", ("法治示范市创建", "数字法治政府建设", "法治宣传教育", "依法决策体系")),
    ("石狮市政府自己坦白了哪些问题？", ("法治意识", "行政执法质量和效能", "基层法治工作能力")),
    # 安溪 only qualifies the town: it is neither the scope nor the topic.
    ("安溪的虎邱镇报告里讲了哪些毛病？", ("法治意识有待提高", "行政执法队伍力量", "法治宣传仍需加强")),
    # 哪些地方…做得不够好 asks the shortcomings, not which places.
    ("石狮去年有哪些地方自己觉得做得不够好？", ("法治意识", "行政执法质量和效能", "基层法治工作能力")),
    # Areas asked for are a section's items labelled as areas.
    ("德化执法主要冲着哪几个行当去？", ("安全生产领域", "物业管理领域", "生态环境领域", "食品药品领域")),
    # 做了啥准备 is work done, not a plan; 突发状况 is the reports' 应急.
    ("安溪碰上突发状况平时都做了啥准备？", ("应急预案体系", "综合演练", "应急指挥平台")),
    # A how-question asks for the measures.
    ("德化出红头文件之前一般怎么把关？", ("强化审查靠前服务", "起草单位初审")),
    # The plans counted by a bare or qualified measure word (哪几样, 几条大方向, 哪几条大的思路) are the plans'
    # points, and the report's own subject said as citizens say it (依法办事, 依法行政) narrows them to nothing.
    ("德化明年准备重点抓哪几样？", ("加强党对法治政府建设的领导", "加强领导干部法治教育", "优化法律服务促发展")),
    ("石狮接下来打算怎么干？说说几条大方向。", ("法治示范市创建", "数字法治政府建设", "依法决策体系")),
    ("虎邱镇接下来怎么抓依法办事，定了哪几条打算？", ("持续强化宣传教育", "打造专业法治队伍", "全面加强执法工作")),
    ("鲤城区对明年依法行政定了哪几条大的思路？", ("笃学笃行习近平法治思想", "权责清晰的政府治理体系", "法治化营商环境")),
    # 盯着 (监督) is in 「强化行政权力制约监督」 and in one of its sub-sections only, 「自觉接受各方监督」: that one.
    ("德化县政府都受哪些人监督？", ("党内监督与人大监督", "民主监督", "司法监督")),
])
def test_parts_asked_in_chat_words_are_listed(pipeline, question, points):
    result = pipeline.ask(question)
    assert not result.refused, result.answer
    assert len(_points(result.answer)) >= len(points), result.answer
    assert all(p in result.answer for p in points), result.answer


def test_a_plans_part_of_one_sentence_answers_a_chat_worded_question(pipeline):
    result = pipeline.ask("安溪后面准备在哪几方面使劲？")  # 安溪's 下一步工作 is one sentence
    assert not result.refused, result.answer
    assert "一规划两方案" in result.answer and "行政复议体制改革" in result.answer, result.answer


def test_a_short_item_is_listed_whole_with_what_it_achieved(pipeline):
    # 「四是积极构建社会诚信体系…降低对被保全人生产经营影响。出台…修复1015家企业信用。」: the result is
    # the item's last sentence; an item this short is one point as a whole.
    result = pipeline.ask("石狮在法治上给民营企业撑腰，有哪些举措？")
    assert not result.refused, result.answer
    assert "修复1015家企业信用" in result.answer and "检察护企" in result.answer, result.answer

