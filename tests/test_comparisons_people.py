"""Comparisons and arithmetic asked the way people ask them, through the whole pipeline (real Chroma, real
embedded model, the shipped answer model), plus the pieces they rest on: measure words compared by kind,
the question's own steps of arithmetic, and places' sentences agreeing with each other."""

from __future__ import annotations

import re

import pytest

from rag.answer.base import Turn
from rag.answer.compare import agreement, place_test
from rag.answer.intent import read_intent
from rag.answer.numbers import (
    addable,
    asked_unit,
    figure_for,
    figures,
    operands,
    operators,
    same_unit,
    unit_kind,
    whole_from_share,
    worked,
)

MARK = re.compile(r"\[\d+\]")


def _line(answer: str, place: str) -> str:
    return next((ln for ln in answer.splitlines() if ln.startswith(f"{place}：")), "")


def test_everyday_words_find_each_places_figure(pipeline):
    # 帮企业把信用修好 is 修复信用 in the reports; each place's line quotes its own figure, cited.
    result = pipeline.ask("德化和石狮帮企业把信用修好的各有几家")
    assert not result.refused
    assert "75家" in _line(result.answer, "德化") and MARK.search(_line(result.answer, "德化"))
    assert "1015家" in _line(result.answer, "石狮") and MARK.search(_line(result.answer, "石狮"))


def test_every_place_means_every_report(pipeline):
    result = pipeline.ask("每个地方出台的规范性文件各是多少件")
    assert not result.refused
    lines = [ln for ln in result.answer.splitlines() if "：" in ln]
    places = {ln.split("：", 1)[0] for ln in lines}
    assert {"安溪县", "德化县", "虎邱镇", "鲤城区", "石狮市"} <= places, result.answer
    assert "19件" in _line(result.answer, "安溪县") and "12件" in _line(result.answer, "石狮市")


def test_place_without_the_fact_is_said_to_be_missing(pipeline):
    result = pipeline.ask("石狮和虎邱分别修复了多少家企业信用")
    assert not result.refused
    assert "1015家" in _line(result.answer, "石狮")
    assert "没有找到" in _line(result.answer, "虎邱")


def test_difference_across_places_with_different_measure_words(pipeline):
    # 鲤城 counts 政策解读 in 份, 石狮 in 条: both are counts of documents, so they are compared.
    result = pipeline.ask("鲤城发的政策解读比石狮多几条")
    assert not result.refused
    assert re.search(r"鲤城73份\[\d\]，石狮72条\[\d\]", result.answer), result.answer
    assert "73−72=1" in result.answer


def test_question_spelling_out_the_steps_gets_them_in_order(pipeline):
    result = pipeline.ask("安溪县行政复议新收申请加上结转的，扣除办结的以后还有几件没办完？")
    assert not result.refused
    assert "269+18−240=47件" in result.answer
    assert "269件" in result.answer and MARK.search(result.answer)


def test_unit_asked_picks_the_right_pair_of_figures(pipeline):
    # The sentence also counts 141件 in all; 多几起 compares the two figures counted in 起.
    result = pipeline.ask("虎邱镇录入平台的执法案件里，行政检查比行政处罚多几起？")
    assert not result.refused
    assert "92−49=43起" in result.answer


def test_measure_words_compare_by_kind():
    assert unit_kind("起") == unit_kind("件") == unit_kind("份") == unit_kind("卷") == "count"
    assert unit_kind("名") == unit_kind("人") == "people"
    assert unit_kind("%") != unit_kind("件")
    assert same_unit(figures("录入案件16180起，办理案件12596件"))
    assert not same_unit(figures("办理案件25件，出庭率100%"))
    a, b = figures("帮助24.2万失信主体，修复1015家企业信用")
    assert a.magnitude == 242000 and b.magnitude == 1015


def test_question_steps_and_units_are_read():
    assert operators("新来的加上留下来的，再减掉办完的") == ["+", "−"]
    assert operators("一共多少") == []
    assert asked_unit("检查的比处罚的多几起") == "起"
    assert asked_unit("各抽了多少本") == "本"
    assert worked(figures("新收269件，结转18件，办结240件"), ["+", "−"]) == "269+18−240=47件"


def test_a_figure_about_something_else_is_not_taken():
    s = "建立1个县级公共法律服务实体平台，整合法律咨询、法律援助等功能。"
    assert figure_for(s, ["法律援助", "案件"]) is None
    assert figure_for("2024年我区共办理法律援助案件283件，挽回损失约257.3万元", ["法律援助"]).text == "283件"


def test_places_agree_on_the_same_fact_not_on_their_names():
    is_place = place_test(["石狮市", "石狮", "泉州市", "泉州"])
    same = agreement("开展2024年度行政执法案卷评查工作，评查案件卷宗共71卷。",
                     "随机抽取16个执法单位共68份行政执法卷宗进行评查。", is_place)
    other = agreement("获评泉州市优秀品牌。", "泉州市召开推进会。", is_place)
    assert same > 0.3 and other == 0.0


def test_comparison_wording_is_not_a_count_or_a_person():
    assert not read_intent("领导出庭应诉这块，几个地方做得怎么样").number
    who = read_intent("石狮和鲤城谁发的政策解读多")
    assert who.number and who.rank and not who.name
    assert read_intent("虎邱镇的法律顾问是谁").name
    assert read_intent("石狮有几个单位").number


def test_who_did_more_names_the_larger_with_both_figures_cited(pipeline):
    # 帮穷人打官司 is 法律援助 in the reports.
    result = pipeline.ask("鲤城和德化谁帮穷人打官司帮得多？")
    assert not result.refused
    assert re.search(r"鲤城283件\[\d\]，德化1332件\[\d\]；德化更多，1332−283=1049件", result.answer), result.answer


def test_change_of_a_rate_is_worked_out_in_percentage_points(pipeline):
    # The sentence also counts cases (108件, 10件); a question about a rate compares the two rates.
    result = pipeline.ask("安溪的行政诉讼败诉率比上一年降了多少")
    assert not result.refused
    assert "11.98−9.26=2.72个百分点" in result.answer


def test_shares_are_never_added_up():
    # "一共" asks for a total, but 出庭应诉率100% and 败诉率1.37% are two rates of different things.
    share, rate = figures("2024年我区行政诉讼案件出庭应诉率100%，败诉率1.37%")
    assert same_unit([share, rate]) and not addable([share, rate])
    a, b = figures("排查矛盾纠纷1825件，成功调解1821件")
    assert addable([a, b])


def test_a_total_is_never_made_of_rates(pipeline):
    result = pipeline.ask("泉州全市一共办了多少行政复议案件")
    assert "101.37" not in result.answer and "100+1.37" not in result.answer, result.answer


def test_the_figures_a_question_names_are_the_ones_worked_on(pipeline):
    # Not every figure of the sentence (调处纠纷136宗 is the total, 12596件 all cases): the ones named.
    result = pipeline.ask("虎邱调解的纠纷里，劳动纠纷和婚姻家庭纠纷加起来一共多少宗？")
    assert "18+12=30宗" in result.answer, result.answer
    result = pipeline.ask("鲤城在“闽执法”上办的案子，检查类比处罚类多出多少件？")
    assert "11692−900=10792件" in result.answer, result.answer
    # The sentence holding both named figures is found among the runners-up, and cited.
    result = pipeline.ask("虎邱录进平台的案子里，检查的比罚款的多几起")
    assert re.search(r"92−49=43起（数字引自\[\d\]）", result.answer), result.answer


def test_a_bare_number_closing_its_clause_counts_what_the_figure_before_it_counts():
    figs = figures("运用调度平台线上排查矛盾纠纷 3353 起，办结化解 3323，办结化解率 99.1%")
    assert [(f.value, f.kind) for f in figs] == [(3353, "count"), (3323, "count"), (99.1, "share")]
    assert [f.value for f in figures("2024年，全镇共录入141件")] == [141]  # a year is not a count
    assert operands("鲤城在“闽执法”上办的案子，检查类比处罚类多出多少件？") == ["检查类", "处罚类"]
    assert operands("提了申请的里面还有多少没转成正式审批") == ["提了申请的", "转成正式审批"]


def test_each_place_answers_for_its_own_year(pipeline):
    # 安溪's report is for 2023 and 德化's for 2024: neither place is refused for the other's year.
    result = pipeline.ask("安溪2023年新收的不服政府决定找上级复查的申请，比德化2024年办的多几件？")
    assert not result.refused, result.answer
    assert "269件" in _line(result.answer, "安溪") and "73件" in _line(result.answer, "德化")
    assert "2024年的相关内容" not in result.answer
    # A year no report covers is still refused.
    assert pipeline.ask("德化县2025年办了多少法律援助案件？").refused


def test_sum_asked_in_everyday_words(pipeline):
    result = pipeline.ask("虎邱镇劳动纠纷跟家里婚姻纠纷加一块调了多少宗")
    assert "18+12=30宗" in result.answer


def test_a_conversation_about_two_places_is_compared_from_what_was_said(pipeline):
    # The places come from the conversation; what was just answered is the material, not old news; the
    # figures are found after the words both places' sentences share (法律援助案件), not the question's.
    history: list[Turn] = []
    for q in ("德化去年帮请不起律师的人免费打了多少官司？", "那鲤城那边呢？"):
        result = pipeline.ask(q, history=history)
        history += [Turn("user", q), Turn("assistant", result.answer)]
    assert "1332件" in history[1].content and "283件" in history[3].content
    result = pipeline.ask("这两个差了多少？", history=history)
    assert "1332−283=1049件" in result.answer, result.answer


def test_share_of_a_whole_is_worked_out_from_its_cited_figures(pipeline):
    # The report gives the total and each kind of dispute, not the share: 106 of 136.
    result = pipeline.ask("虎邱镇调解的纠纷里邻里纠纷占几成")
    assert not result.refused
    assert "106÷136≈77.9%" in result.answer and "邻里纠纷106宗" in result.answer


def test_what_is_left_after_an_addition_takes_away_what_was_done(pipeline):
    result = pipeline.ask("安溪2023年行政复议，新收的加上年结转的，还有多少没办完")
    assert "269+18−240=47件" in result.answer


def test_operands_stated_in_two_sentences_are_both_cited(pipeline):
    result = pipeline.ask("石狮个人办件和法人办件加起来汇聚了多少件")
    assert not result.refused
    assert "328736+75231=403967件" in result.answer
    assert "排名第3" not in result.answer.split("计算")[-1]  # an ordinal is not a figure to add


def test_which_has_fewer_is_answered_as_fewer(pipeline):
    result = pipeline.ask("安溪和德化下放给乡镇的执法事项哪个少，少几项")
    assert "97−72=25项" in result.answer  # 97项 (the asked measure word), not 4个领域
    assert "德化更少" in result.answer


def test_shares_of_a_whole_and_ordinals_in_the_pieces():
    assert [f.text for f in figures("法人办件汇聚75231件，在各县市（区）排名第3。")] == ["75231件"]
    assert operators("新收的加上年结转的，还有多少没办完") == ["+", "−"]
    assert operators("扣除办结的以后还有几件没办完") == ["−"]  # the subtraction is already said
    assert operators("提了申请的里面还有多少没转成正式审批") == []  # a plain difference of two figures
    assert read_intent("安溪、德化、鲤城谁输得少").fewer and not read_intent("哪个地方办了多少件").fewer
    assert figure_for("选定4个领域共97项执法事项", ["执法事项"], "count", unit="项").text == "97项"


def test_the_year_befores_value_is_worked_out_from_the_reported_change(pipeline):
    # 鲤城 gives 1425件 and "较去年同期下降41.5%", never the earlier count itself.
    result = pipeline.ask("鲤城区信访24年比去年降了41.5% 那去年大概是多少件")
    assert "1425÷(1−41.5%)≈2436件" in result.answer and "推算" in result.answer
    history = [Turn("user", "鲤城2024年信访登记了多少件"),
               Turn("assistant", "各级信访机构登记涉及鲤城区群众信访事项1425件，较去年同期下降41.5%")]
    result = pipeline.ask("那比上一年大概少了多少件？", history=history)
    assert not result.refused and "少了约1011件" in result.answer


def test_a_change_rate_of_another_figure_is_not_used(pipeline):
    # "同比增长6.65%" is about 每万人发明专利拥有量, not about 专利授权.
    history = [Turn("user", "德化2024年新增专利授权多少件？"), Turn("assistant", "2024年全县新增专利授权1924件。")]
    assert "推算" not in pipeline.ask("这个数字比上一年增长了多少？", history=history).answer


def test_a_share_asked_in_everyday_words_and_a_total_with_what_is_left(pipeline):
    assert "106÷136≈77.9%" in pipeline.ask("虎邱镇调解的纠纷里邻居之间的矛盾占比多少").answer
    # Asked with the total: the part's share of it, never the total plus its part (136+106).
    answer = pipeline.ask("虎邱镇调委会去年一共调了多少起纠纷？邻里矛盾占几成？").answer
    assert "106÷136≈77.9%" in answer and "136+106" not in answer, answer
    answer = pipeline.ask("安溪23年行政复议 新收的加上上年转过来的 一共多少 还剩几件没办完").answer
    assert "269+18=287件" in answer and "269+18−240=47件" in answer


def test_the_figure_that_counts_the_thing_asked_is_compared(pipeline):
    # "56个党政机关、18个乡镇222个村": the figure before 村 counts villages.
    history = [Turn("user", "安溪村里请律师当法律顾问是怎么安排的？"),
               Turn("assistant", "安溪由38名律师和11名基层法律服务工作者分别挂钩担任488个村居法律顾问")]
    result = pipeline.ask("德化覆盖了多少个村？两边差多少？", history=history)
    assert "488−222=266个" in result.answer
    history = [Turn("user", "石狮去年在闽执法平台上录了多少执法案件？"), Turn("assistant", "录入行政执法案件16180起")]
    result = pipeline.ask("鲤城在这个平台上办了多少案子？哪边多？", history=history)
    assert "16180−12596=3584" in result.answer, result.answer


def test_a_whole_from_a_count_and_its_share_and_every_listed_addend(pipeline):
    assert whole_from_share("自愿撤回行政复议申请共28件，占审结的42.42%。", "件") == "28÷42.42%≈66件"
    assert whole_from_share("撤回申请共28件，审结率42.42%。") == ""  # a rate of something else
    result = pipeline.ask("鲤城复议调解后撤回的有28件，占审结的比例是多少？按这个倒推一共审结了多少件？")
    assert "28÷42.42%≈66件" in result.answer and MARK.search(result.answer), result.answer
    result = pipeline.ask("石狮市里、镇里、村里加起来一共有多少个能免费问法律的服务点位？")
    assert "1+9+128=138个" in result.answer, result.answer
    # A share that comes out whole is written without a decimal (13÷52≈25%, not 25.0%).
    result = pipeline.ask("德化模拟审批提了申请的项目里，转成正式审批的占多大比例")
    assert "13÷52≈25%" in result.answer, result.answer


def test_a_rate_worked_out_beside_another_rate_and_a_plain_last_year(pipeline):
    # 出庭率100% in the same sentence is another rate: 输的比例 is worked out from 25件 and 败诉仅1件.
    result = pipeline.ask("德化去年被人告的那些行政官司，政府输了几件？输的比例算下来是百分之几")
    assert "1÷25≈4%" in result.answer, result.answer
    # 去年 alone is the reporting year, not a change from the year before: the difference is worked out.
    result = pipeline.ask("虎邱镇去年在执法系统上录的案子里，检查的比罚款处罚的多出几起？")
    assert "92−49=43起" in result.answer, result.answer
    assert not read_intent("石狮去年发了多少条政策解读").previous_year
    assert read_intent("比去年多了多少").previous_year and read_intent("上一年呢").previous_year
    # The year before's value is as precise as the figure it is worked back from.
    result = pipeline.ask("德化每万人发明专利拥有量21.77件，比上年涨了6.65%，那上年大概是多少件")
    assert "≈20.41件" in result.answer, result.answer


def test_about_before_the_scale_is_part_of_the_figure():
    # "580多万元" is money (so it answers 少掏了多少钱), not a bare 580.
    [f] = figures("为当事人减轻经济负担580多万元。")
    assert (f.text, f.kind) == ("580多万元", "money")


def test_a_share_of_the_total_said_before_qizhong_and_of_two_named_figures(pipeline):
    # "共录入141件，其中行政检查92起，行政处罚49起": the share is of the total, not of the other part.
    result = pipeline.ask("虎邱镇2024年录进执法平台的案件里，行政处罚占了大概几成？")
    assert "49÷141≈34.8%" in result.answer, result.answer
    # Two figures the question names in one unit (52宗, 13宗) beside 73个重点项目: 13 of 52.
    result = pipeline.ask("德化“模拟审批”里提出申请的项目，有多大比例已经转成正式审批？")
    assert "13÷52≈25%" in result.answer, result.answer


def test_two_things_named_by_the_question_in_two_sentences(pipeline):
    # "A和B，哪个多" names the operands; each takes the clause saying most of its words (12件, not 22件 or 28件).
    result = pipeline.ask("石狮2024年以市政府名义新出的规范性文件，和废止、宣布失效的比，哪个多？多几件？")
    assert "22−12=10件" in result.answer, result.answer
    result = pipeline.ask("石狮2024年市政府名义出的规范性文件和市直部门自己名义出的，加起来多少件")
    assert "12+15=27件" in result.answer, result.answer
    # Money named anywhere in its sentence, added with the inputs' decimals kept.
    result = pipeline.ask("安溪应急局和市场监管局两家罚的钱加起来一共多少？")
    assert "476.389+323.68=800.069万元" in result.answer, result.answer
    assert "476.389−323.68=152.709万元" in pipeline.ask("安溪安全生产那块罚的钱和市场监管那块罚没的钱，哪个多？多多少？").answer


def test_what_is_left_an_average_and_a_sum_with_one_thing_set_aside(pipeline):
    result = pipeline.ask("安溪2023年不服处罚找上面复查的案子，连上年剩下的一起算，到年底还有多少件没办完？")
    assert "269+18−240=47件" in result.answer, result.answer
    result = pipeline.ask("虎邱镇搞普法宣传，平均一场能覆盖多少人次？")
    assert "14400÷162≈88.9人次" in result.answer, result.answer
    result = pipeline.ask("鲤城在平台上办的案子里，除去行政检查，处罚和强制加起来多少件？")
    assert "900+4=904件" in result.answer and "12596" not in result.answer.split("计算")[-1], result.answer
    # A plain 一共 asks a stated total: two unnamed figures of a sentence are not added up.
    assert operators("鲤城一年办了一万多件，刨掉检查那部分，剩下的处罚加强制一共多少件") == []
    assert operands("石狮一体化平台上，个人办件和法人办件哪个多，差多少？") == ["个人办件", "法人办件"]


def test_a_scale_before_yu_and_a_comparison_of_other_kinds_of_figure(pipeline):
    [f] = figures("总回款115万余元；")
    assert (f.text, f.kind, f.unit) == ("115万余元", "money", "万元")
    # 谁输得少: 鲤城 states a rate (败诉率1.37%), not a count; its sentence is still its answer.
    result = pipeline.ask("告政府的官司，安溪、德化、鲤城谁输得少")
    assert "1.37%" in _line(result.answer, "鲤城"), result.answer


def test_averages_points_and_the_year_before_worked_back(pipeline):
    assert "753÷212≈3.55名" in pipeline.ask("石狮市平均每个调解组织有几名人民调解员？").answer
    assert "476.389÷156≈3.05万元" in pipeline.ask("安溪县应急局2023年安全生产方面的罚款，平均每起立案罚了多少钱？").answer
    assert "11.98−9.26=2.72个百分点" in pipeline.ask("安溪县政府打行政官司的败诉率，2023年比2022年降了几个百分点？").answer
    result = pipeline.ask("鲤城区推送给市共享平台的数据，比向社会开放的数据多了多少条？")
    assert "5574−357=5217万条" in result.answer, result.answer
    # Asking the year before of a report that states its change is not a year no report covers.
    result = pipeline.ask("鲤城区2024年登记的信访事项比上年少了41.5%，倒推一下2023年大概有多少件？")
    assert not result.refused and "≈2436件" in result.answer, result.answer


def test_a_figure_whose_topic_the_sentence_before_names_is_quoted(pipeline):
    # 虎邱镇's report names the platform in one sentence and counts its cases in the next
    # ("推广应用一体化大融合行政执法平台…。2024年全镇共录入141件"): the ranker reads the sentence before.
    result = pipeline.ask("鲤城 石狮 虎邱 在网上执法平台录入的案子各多少")
    assert "141件" in _line(result.answer, "虎邱"), result.answer
    assert "12596件" in _line(result.answer, "鲤城") and "16180起" in _line(result.answer, "石狮")


@pytest.mark.parametrize(("question", "working"), [
    # 鲤城 states its rate; 德化 gives the counts (25件，败诉仅1件): its rate is worked out, never its 出庭率.
    ("德化和鲤城打行政官司，哪边输的比例高？", r"德化1件÷25件≈4%\[\d\]，鲤城1\.37%\[\d\]；德化更高，4−1\.37=2\.63个百分点"),
    # 安溪's 108件 and 10件 give its stated 败诉率9.26%, which is quoted as stated.
    ("行政官司打输的比例，安溪和德化哪边更高？", r"安溪9\.26%\[\d\]，德化1件÷25件≈4%\[\d\]；安溪更高"),
    ("德化和石狮排查出来的纠纷，哪边化解的比例高？", r"德化99\.8%\[\d\]，石狮99\.1%\[\d\]；德化更高"),
])
def test_a_rate_compared_is_worked_out_from_the_counts_a_place_gives(pipeline, question, working):
    result = pipeline.ask(question)
    assert not result.refused, result.answer
    assert re.search(working, result.answer), result.answer


def test_a_sentence_without_its_subject_is_quoted_with_the_one_before(pipeline):
    # 「8 月份，获评泉州市“优秀 148 品牌”」 says what was won; the sentence before says what won it.
    result = pipeline.ask("鲤城的148品牌叫什么，拿了什么奖？")
    assert not result.refused, result.answer
    assert "桐新同治" in result.answer and "优秀148品牌" in result.answer.replace(" ", ""), result.answer


def test_a_thing_named_with_digital_is_not_a_figure_asked(pipeline):
    result = pipeline.ask("德化的数字政务门牌现在用得怎么样？")
    assert not result.refused, result.answer
    assert "投入运行" in result.answer, result.answer


def test_two_things_counted_in_two_sentences_of_a_passage_are_both_quoted(pipeline):
    # "在泉州政务平台上汇总的" sets the scene; 个人 and 企业 (the reports' 法人) tell the figures apart.
    result = pipeline.ask("石狮在政务平台上汇总的个人办件和企业办件加起来一共有多少件？")
    assert not result.refused, result.answer
    assert "328736+75231=403967件" in result.answer, result.answer
    assert "个人办件汇聚328736件" in result.answer and "法人办件汇聚75231件" in result.answer, result.answer

