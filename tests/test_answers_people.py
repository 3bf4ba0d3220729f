"""Answers to questions asked the way people ask them, through the whole pipeline (real Chroma, real
embedded model, the shipped answer model): paraphrases, follow-ups, summaries, comparisons, arithmetic,
questions naming no place, and near misses that must be refused."""

from __future__ import annotations

import re

import pytest

from rag.answer.base import Turn

MARK = re.compile(r"\[\d+\]")


def test_paraphrased_question_is_answered_with_its_citation(pipeline):
    result = pipeline.ask("德化县给请不起律师的老百姓办了多少件法律援助？")
    assert not result.refused
    assert "1332件" in result.answer
    assert result.citations[0].doc == "dehua-2024"


def test_summary_lists_every_point_each_cited(pipeline):
    result = pipeline.ask("石狮市的报告里承认了哪些不足？")
    assert not result.refused
    lines = [ln for ln in result.answer.splitlines() if re.match(r"\d+\. ", ln)]
    assert len(lines) == 3, result.answer  # the 存在问题 paragraph's 一是/二是/三是, not only the first
    for key, line in zip(("法治意识", "行政执法质量", "基层法治工作能力"), lines, strict=True):
        assert key in line and MARK.search(line)


def test_plans_come_from_the_next_year_section(pipeline):
    result = pipeline.ask("鲤城区明年打算干啥？")
    assert not result.refused
    assert "依法治区" in result.answer or "习近平法治思想" in result.answer
    assert all("2025年工作思路" in c.section for c in result.citations)


def test_follow_up_with_a_pronoun_keeps_place_and_topic(pipeline):
    history = [Turn("user", "虎邱镇请的法律顾问是谁？"), Turn("assistant", "福建铭群律师事务所李雪萍律师[1]")]
    result = pipeline.ask("她审了多少份合同？", history=history)
    assert not result.refused and "90件" in result.answer
    assert result.citations[0].doc == "huqiu-2024"


def test_follow_up_changing_the_place_is_shown_as_understood(pipeline):
    history = [Turn("user", "德化县2024年办了多少件法律援助案件？"), Turn("assistant", "1332件[1]")]
    result = pipeline.ask("那鲤城区呢？", history=history)
    assert result.rewritten_question == "鲤城区2024年办了多少件法律援助案件？"
    assert "283件" in result.answer


def test_comparison_gives_one_line_per_place_and_works_out_the_sum(pipeline):
    result = pipeline.ask("鲤城区和德化县的法律援助案件加起来一共多少件？")
    assert not result.refused
    assert re.search(r"^鲤城区：.*283件", result.answer, re.M) and re.search(r"^德化县：.*1332件", result.answer, re.M)
    assert "283+1332=1615件" in result.answer or "1332+283=1615件" in result.answer


def test_question_naming_no_place_names_the_report(pipeline):
    result = pipeline.ask("哪里给执法人员配了移动执法终端？")
    assert not result.refused
    assert "虎邱镇" in result.answer and result.citations[0].doc == "huqiu-2024"


def test_year_no_report_covers_is_refused(pipeline):
    result = pipeline.ask("安溪县2025年新收了多少件行政复议申请？")
    assert result.refused
    assert "2025年" in result.answer


def test_place_outside_the_corpus_is_refused_and_named(pipeline):
    result = pipeline.ask("晋江市的法律顾问是谁？")
    assert result.refused and "晋江市" in result.answer


def test_ordinary_words_ending_in_county_are_not_places(pipeline):
    result = pipeline.ask("除了县里通办，他们还跟哪些邻近的县搞跨县办理？")
    assert "不包括" not in result.answer  # never "the reports do not cover 除了县"
    assert result.gate["unknown_place"] == 0.0


def test_follow_up_is_answered_with_news_not_the_last_answer_again(pipeline):
    # The search text carries the previous topic (信访, 行政复议), which draws the sentence already
    # quoted; the follow-up asks for what it did not say.
    history = [Turn("user", "鲤城区信访事项登记了多少件？"),
               Turn("assistant", "本年度各级信访机构登记涉及鲤城区群众信访事项1425件，较去年同期下降41.5%；[1]")]
    result = pipeline.ask("老百姓对处理结果满意吗？", history=history)
    assert not result.refused
    assert result.answer.split("[1]")[0].endswith("95.22%，一次性办结率98.92%。"), result.answer
    history = [Turn("user", "德化县行政复议办了多少件？"), Turn("assistant", "2024年全县办理行政复议案件73件。[1]")]
    result = pipeline.ask("那行政诉讼呢，输了几件？", history=history)
    first = result.answer.split("[1]")[0]
    assert "败诉仅1件" in first and "73件" not in first, result.answer
    # The sentence holding the figure just told (9080件) also says how often the meeting is held: news.
    history = [Turn("user", "安溪县2023年调解组织化解了多少矛盾纠纷？"),
               Turn("assistant", "2023年全县各级人民调解组织共排查化解矛盾纠纷9080件。[1]")]
    result = pipeline.ask("那县里排查纠纷的例会多久开一次？", history=history)
    assert not result.refused and "每半月" in result.answer, result.answer


def test_no_year_on_year_change_is_computed_from_two_different_things(pipeline):
    # 1924件 (patents granted) and 21.77件 (patents per 10,000 people) are both "件" of 2024: subtracting
    # them is no change over the previous year, which the report does not give.
    history = [Turn("user", "德化2024年新增专利授权多少件？"), Turn("assistant", "2024年全县新增专利授权1924件。[1]")]
    result = pipeline.ask("这个数字比上一年增长了多少？", history=history)
    assert "1924−21.77" not in result.answer and "计算" not in result.answer, result.answer
    # With the earlier year stated in the sentence, the change is worked out from both cited figures.
    history = [Turn("user", "安溪行政诉讼败诉率多少？"), Turn("assistant", "一审败诉率9.26%，位居全市第三优。[1]")]
    result = pipeline.ask("比上一年降了多少？", history=history)
    assert "11.98−9.26=2.72个百分点" in result.answer, result.answer


def test_which_place_did_something_is_one_answer_naming_the_report(pipeline):
    # Not a comparison: one report says it, and the answer names that report (no line per place).
    result = pipeline.ask("哪个地方搞了“入学一件事”？")
    assert not result.refused
    assert "石狮" in result.answer and "入学一件事" in result.answer
    assert "德化县：" not in result.answer and {c.doc for c in result.citations} == {"shishi-2024"}


def test_citizens_own_words_missing_from_every_report_do_not_refuse(pipeline):
    # No report says 下到村里 or 帮忙; the words the reports do use (律师) are in the evidence.
    result = pipeline.ask("安溪有多少律师下到村里帮忙")
    assert not result.refused and "38名" in result.answer, result.answer


def test_a_topic_no_report_speaks_of_is_refused(pipeline):
    # 马拉松 is missing like a citizen's own word, but nothing in the evidence stands for it.
    result = pipeline.ask("德化县2024年举办了几场马拉松比赛？")
    assert result.refused, result.answer


def test_plan_points_say_what_each_heading_means(pipeline):
    # A sub-heading of a few words is listed with its first sentence, which says what it means.
    result = pipeline.ask("你们虎邱镇明年在法治上有啥打算？")
    assert not result.refused
    first = next(ln for ln in result.answer.splitlines() if ln.startswith("1. "))
    assert "持续强化宣传教育" in first and "营造浓厚法治氛围" in first and MARK.search(first), result.answer


def test_a_chinese_question_with_an_acronym_is_judged_as_chinese():
    # "GDP" is part of Chinese usage; the question is not cross-language, so the gate reads it (and no
    # report gives a GDP figure).
    from rag.answer.evidence import foreign_share, question_terms, term_weights

    q = "德化县去年GDP是多少？"
    assert foreign_share(term_weights(question_terms(q, ["德化县"])), q) == 0.0
    q = "What did Shishi do about legal aid?"
    assert foreign_share(term_weights(question_terms(q, [])), q) == 1.0
    # A loanword or brand in a Chinese question ("i 石狮" App) does not make it an English one.
    q = "石狮的“i 石狮”App里现在有多少个在线功能？"
    assert foreign_share(term_weights(question_terms(q, ["石狮"])), q) == 0.0
    q = "How many legal aid cases did 德化 handle in 2024?"
    assert foreign_share(term_weights(question_terms(q, ["德化"])), q) > 0.5


def test_a_figure_of_another_kind_does_not_answer_a_money_question(pipeline):
    # The report says what the lawyer did (审查合同90件), never what she cost.
    for question in ("虎邱镇请法律顾问一年要花多少钱？", "虎邱镇今年修了多少公里的路", "德化陶瓷出口额是多少"):
        assert pipeline.ask(question).refused, question


def test_the_name_in_the_question_is_not_the_person_asked_for(pipeline):
    # "“万阿姨”调解室" names the room; the report never says who 万阿姨 is.
    assert pipeline.ask("鲤城区“万阿姨”调解室的万阿姨全名叫什么？").refused


def test_a_list_question_gets_every_clause_of_the_series(pipeline):
    result = pipeline.ask("鲤城的一庭两中心是哪几个 分别干成了啥")
    assert not result.refused
    for name in ("海丝金融巡回法庭", "信用修复中心", "知识产权保护法治促进中心"):
        assert name in result.answer, result.answer


def test_a_list_question_gets_every_item_of_the_section_its_best_sentence_opens(pipeline):
    result = pipeline.ask("石狮在给民营企业保驾护航这块出了哪些法治措施")
    assert not result.refused
    for key in ("十四条措施", "检察护企", "知识产权协同保护机制", "社会诚信体系"):
        assert key in result.answer, result.answer


def test_a_quoted_name_is_asked_as_a_whole(pipeline):
    # 景区枫桥 is 德化's; 石狮's "枫桥经验" shares a word, not the name.
    result = pipeline.ask("“景区枫桥”是哪个地方的经验？")
    assert result.answer.startswith("据《德化县"), result.answer
    assert "景区枫桥" in result.answer.splitlines()[0]
    assert all(ln.startswith("据《") for ln in result.answer.splitlines() if ln.strip())


def test_an_items_bare_label_is_quoted_with_the_sentence_that_says_what_was_done(pipeline):
    # "二是打造“枫桥经验”石狮集群。" alone does not say where 海上枫桥 came from; its next sentence does.
    result = pipeline.ask("渔民在海上吵架那种“海上枫桥”是哪个镇弄出来的")
    assert "祥芝" in result.answer and not result.refused
    result = pipeline.ask("政策解读哪里发得多？鲤城石狮德化对比下")
    assert "40余条" in next(ln for ln in result.answer.splitlines() if ln.startswith("德化"))


def test_a_follow_up_whose_answer_was_already_said_quotes_it_again(pipeline):
    # The sentence just quoted names the counties; "跟哪些县？" is answered by it, not by another one.
    history = [Turn("user", "我想知道德化办事大厅能不能跨县办事"),
               Turn("assistant", "持续探索“邻县通办”，与永春、大田等邻近县深入梳理群众正常办理且可实现通办的事项清单[1]")]
    assert "永春、大田" in pipeline.ask("跟哪些县？", history=history).answer
    history = [Turn("user", "德化县政府去年被告了几次"),
               Turn("assistant", "全县行政诉讼案件25件，败诉仅1件，行政机关负责人出庭率100%。[1]")]
    assert "败诉仅1件" in pipeline.ask("输了几件？", history=history).answer



def test_a_chain_of_follow_ups_keeps_its_topic_and_same_area_points_back(pipeline):
    # "那安溪呢" after "输了几件？" (itself read as 德化县输了几件？) is still about 被告 (行政诉讼).
    history = [Turn("user", "德化县政府去年被告了几次"),
               Turn("assistant", "全县行政诉讼案件25件，败诉仅1件。[1]"),
               Turn("user", "输了几件？"),
               Turn("assistant", "全县行政诉讼案件25件，败诉仅1件。[1]")]
    result = pipeline.ask("那安溪呢", history=history)
    assert not result.refused and "一审败诉10件" in result.answer, result.answer
    # "同一块" points at the last question's topic (安全生产) for the new place.
    history = [Turn("user", "虎邱镇2024年查安全生产查了多少家，罚了几起？"),
               Turn("assistant", "检查各重点场所131家次，共行政处罚立案51起[1]")]
    assert "立案处罚38起" in pipeline.ask("那鲤城区同一块立了几个案", history=history).answer


def test_a_citizens_phrase_whose_report_word_is_missing_is_a_near_miss(pipeline):
    # 免费打官司 is the reports' 法律援助: 德化 gives its count, 石狮 does not (its nearest figures count
    # something else), so 石狮 is refused rather than answered with a 调解 or 执法 figure.
    assert "1332件" in pipeline.ask("德化2024年免费帮人打官司一共办了多少件").answer
    assert pipeline.ask("石狮去年给请不起律师的人免费打官司，一共办了几件？").refused
    # 官司 is also the reports' 案件/纠纷: a court's caseload is found, not refused.
    result = pipeline.ask("德化法院一年收了多少起专利商标这类侵权官司")
    assert not result.refused and "1179件" in result.answer, result.answer


def test_a_measure_word_glued_to_the_next_word_is_not_part_of_it(pipeline):
    from rag.answer.evidence import question_terms

    # jieba reads "多少起纠纷" as 多少 | 起纠纷: the word asked about is 纠纷 (and 调委会 is 调解委员会).
    assert "纠纷" in question_terms("虎邱镇调委会2024年一共调了多少起纠纷？", ["虎邱镇"])
    result = pipeline.ask("虎邱镇调委会2024年一共调了多少起纠纷？")
    assert not result.refused and "136宗" in result.answer, result.answer


def test_a_things_name_and_a_document_figure_are_not_questions_about_the_report_itself(pipeline):
    # "叫什么窗口" asks a thing's name; "要报给上级和人大备案的…文件" is a count, not the report's addressee.
    result = pipeline.ask("听说有个政务服务中心在1楼专门开了个帮人补证照的窗口，叫什么窗口？")
    assert not result.refused and "证照补齐服务" in result.answer, result.answer
    result = pipeline.ask("德化县政府2024年出了几份要报给上级和人大备案的规范性文件？")
    assert "6件" in result.answer, result.answer
    result = pipeline.ask("石狮2024年市政府名义出的规范性文件和市直部门自己名义出的，加起来多少件")
    assert "石狮市人民政府文件" not in result.answer and "12+15=27件" in result.answer, result.answer
    assert pipeline.ask("虎邱镇2024年度法治政府建设情况报告是报送给谁的？").citations


def test_which_town_of_a_county_and_a_follow_up_on_this_town(pipeline):
    result = pipeline.ask("哪个镇在安溪县里带头成立了镇诚信促进会？")
    assert not result.refused and "虎邱镇" in result.answer, result.answer
    history = [Turn("user", "哪个镇在安溪县里带头成立了镇诚信促进会？"), Turn("assistant", result.answer)]
    result = pipeline.ask("这个镇抓安全生产，去年查了多少家、立案处罚几起？", history=history)
    assert "131家次" in result.answer and "51起" in result.answer, result.answer


def test_sued_in_everyday_words_is_answered_by_the_count_of_cases(pipeline):
    result = pipeline.ask("虎邱镇政府2024年被老百姓告上法庭了几次？")
    assert not result.refused and "0宗" in result.answer, result.answer


def test_a_place_typed_as_its_homophone_is_answered_and_shown_as_understood(pipeline):
    result = pipeline.ask("虎丘镇政府的法律顾问是哪个律师？")
    assert not result.refused and "李雪萍" in result.answer
    assert result.rewritten_question == "虎邱镇政府的法律顾问是哪个律师？"
    # The follow-up keeps the place its question was typed with: 虎邱镇's report alone answers.
    first = pipeline.ask("虎丘镇请的律师是哪个")
    follow = pipeline.ask("她一年帮镇里审了多少合同", history=[Turn("user", "虎丘镇请的律师是哪个"),
                                                   Turn("assistant", first.answer)])
    assert "90件" in follow.answer and {c.doc for c in follow.citations} == {"huqiu-2024"}, follow.answer


def test_a_follow_up_switching_topic_quotes_the_new_topics_figures(pipeline):
    history = [Turn("user", "德化县去年行政复议办了多少件？"), Turn("assistant", "2024年德化全县办理行政复议案件73件。[1]")]
    result = pipeline.ask("那行政官司呢 一共几件 输了几件", history=history)
    assert not result.refused and "25件" in result.answer and "败诉仅1件" in result.answer, result.answer
    assert "计算" not in result.answer  # 一共 asks the stated total, not 25+1


def test_a_question_asking_two_things_quotes_the_sentence_for_each(pipeline):
    # The follow-up asks for the repealed files and for the post-evaluations; the ranker's first sentence
    # is the one the last answer quoted (12件), the asked figures follow it.
    history = [Turn("user", "石狮2024年以市政府名义出了几个规范性文件？"),
               Turn("assistant", "以市政府或市政府办公室名义出台规范性文件12件。")]
    result = pipeline.ask("废掉的有多少？后评估又做了几件", history=history)
    assert not result.refused and "22件" in result.answer, result.answer


def test_asking_clauses_are_counted():
    from rag.answer.extractive import asks

    assert asks("虎邱镇请的是哪家律所？一年审了多少份合同？") == 2
    assert asks("那行政官司呢 一共几件 输了几件") == 2
    assert asks("德化办了多少件法律援助？") == 1



def test_problems_and_shortcomings_asked_together_list_every_point(pipeline):
    result = pipeline.ask("虎邱镇在法治建设上查摆出了哪些问题和不足？")
    lines = [ln for ln in result.answer.splitlines() if re.match(r"\d+\. ", ln)]
    assert len(lines) == 3, result.answer
    for key, line in zip(("法治意识", "执法队伍力量", "法治宣传"), lines, strict=True):
        assert key in line


def test_a_bare_item_label_quoted_with_its_sentence_does_not_repeat_it(pipeline):
    result = pipeline.ask("德化县政府拍板重大事情之前，按规定要走哪些程序？")
    assert "公众参与、专家论证、风险评估、合法性审查和集体讨论决定" in result.answer
    assert result.answer.count("作为决策的基本遵循") == 1, result.answer


def test_a_person_not_named_is_not_answered_by_places_offices_or_brands(pipeline):
    """The tagger reads 石狮, 司法厅 and 法援/惠民 as personal names; none of them names the head asked for."""
    assert pipeline.ask("鲤城区法援中心的主任叫什么名字？").refused
    # (石狮's report names a model mediator near its 司法局 sentences: at most a cautioned answer.)
    result = pipeline.ask("石狮市司法局局长叫什么名字？")
    assert result.refused or "可能不能完全回答" in result.notice, result.answer
    result = pipeline.ask("虎邱镇的法律顾问是谁")
    assert not result.refused and "李雪萍" in result.answer


def test_shortcomings_asked_in_everyday_words_list_the_problems_part(pipeline):
    for question, first in (("安溪那份报告里，县里自己承认还有哪些没做好的地方？", "边远乡镇法治建设水平有待提高"),
                            ("鲤城区觉得自己哪些地方还欠点火候？", "法治政府建设工作合力仍需进一步提升")):
        result = pipeline.ask(question)
        lines = [ln for ln in result.answer.splitlines() if re.match(r"\d+\. ", ln)]
        assert len(lines) == 3 and first in lines[0], result.answer


def test_who_is_asking_is_not_what_is_asked(pipeline):
    """「我是做生意的，…」 introduces the asker: 做生意 is not the topic (德化's 营商环境 work is not its 短板)."""
    result = pipeline.ask("我是做生意的，想知道德化县政府自己检讨出来的短板有哪几条？")
    assert "法治建设人才保障不足" in result.answer, result.answer
    result = pipeline.ask("我在石狮开厂的，想知道政府去年为民营企业具体做了哪些事")
    assert "十四条措施" in result.answer and all(c.doc == "shishi-2024" for c in result.citations)


def test_the_number_of_things_to_add_up_is_read_from_the_question(pipeline):
    history = [Turn("user", "石狮给老百姓提供法律服务的地方是怎么布点的？"),
               Turn("assistant", "建成市级公共法律服务中心、镇（街道）公共法律服务工作站和村（社区）公共法律服务工作室三级实体平台。")]
    result = pipeline.ask("这三级加起来一共多少个？", history=history)
    assert "1+9+128=138" in result.answer, result.answer





def test_a_count_in_chinese_numerals_or_a_near_measure_answers(pipeline):
    """「有几位」 is answered by 「仅一名」 (no digit), 「几个人」 by 人次: counts people all the same."""
    result = pipeline.ask("虎邱镇执法队伍里，科班出身、全日制读法学的有几位？")
    assert not result.refused and "仅一名" in result.answer, result.answer


def test_which_parts_a_piece_of_work_was_tackled_in_lists_its_items(pipeline):
    result = pipeline.ask("德化在让执法更守规矩方面分了哪几块来抓？")
    lines = [ln for ln in result.answer.splitlines() if re.match(r"\d+\. ", ln)]
    assert [k for k in ("完善行政执法程序", "创新行政执法方式", "健全行政裁量权基准")
            if any(k in ln for ln in lines)] == ["完善行政执法程序", "创新行政执法方式", "健全行政裁量权基准"], result.answer


def test_which_person_is_answered_by_the_sentence_naming_them(pipeline):
    """「请了哪位律师」: the sentence naming 李雪萍, not the next one about what her team did."""
    result = pipeline.ask("虎邱镇请了哪位律师帮镇里把关法务？")
    assert not result.refused and "李雪萍" in result.answer, result.answer


def test_no_money_for_a_lawyer_is_legal_aid_not_a_sum_of_money(pipeline):
    """「帮没钱的老百姓打官司」: the citizen's phrase for 法律援助 with words put in between; 没钱 is no money asked."""
    for question in ("德化县帮没钱的老百姓打官司，去年一共帮了多少件？", "德化帮没钱的人打官司，去年帮了多少个"):
        result = pipeline.ask(question)
        assert not result.refused and "1332件" in result.answer, (question, result.answer)


#: Worked arithmetic: the question, and the working its answer must show.
WORKED = [
    # 案子 is said once for both operands and 平台 sets the scene: 行政检查 and 行政处罚, not the 12596 in all.
    ("鲤城执法平台上检查的案子比处罚的多多少件", "11692−900=10792"),
    ("德化电子证照 生成的跟调用的哪个多 差几份", "33942−24294=9648"),
    # People per body, counted in another measure word (753名 for 几个人).
    ("石狮那边平均一家帮人说和的机构配了几个人？", "753÷212≈3.55"),
    # 「摊下来每所…多少名」: 740名教练员 over the 11家 schools, not over the 548部 cars listed between.
    ("安溪县2023年清查的那批学车机构，摊下来每所大约配了多少名带学员的师傅？", "740÷11≈67.3"),
    # The whole a share is of, asked in another case word (多少宗 of 28件).
    ("鲤城区2024年行政争议里，靠说和让申请人主动放弃的占了四成多，倒推一下当年一共结了多少宗这类案子？", "28÷42.42%≈66"),
    # Two sentences' figures in the measure words the question names.
    ("石狮电子证照调用的次数比生成的本数多多少", "45283−33698=11585"),
    ("石狮去年废止失效的规范性文件比新出的多几件？", "22−12=10"),
]


@pytest.mark.parametrize(("question", "working"), WORKED, ids=[w for _, w in WORKED])
def test_worked_arithmetic_names_the_figures_the_question_means(pipeline, question, working):
    result = pipeline.ask(question)
    assert not result.refused and working in result.answer, result.answer


@pytest.mark.parametrize(("question", "wanted"), [
    # How often is answered by a frequency.
    ("安溪那个排查矛盾纠纷的碰头会，隔多久开一回？", ("每半月召开一次",)),
    # Two questions in one: which office (开元司法所, one sentence), how many meetings (15场次, the next one).
    ("全市第一个立法基层联系点设在哪个司法所？这一年开了多少场征求意见的会？", ("开元司法所", "15场次")),
    # 2025 is 德化's plans part (三、2025年工作思路): its 普法 plan is quoted, not refused as another year.
    ("德化2025年在普法规划上要完成什么？", ("收官验收",)),
])
def test_the_kind_and_the_year_asked_pick_the_sentence(pipeline, question, wanted):
    result = pipeline.ask(question)
    assert not result.refused, result.answer
    assert all(w in result.answer for w in wanted), result.answer


def test_a_place_named_only_inside_a_quoted_model_is_not_covered(pipeline):
    # 德化's report names 晋江 only in “晋江经验”: a question about 晋江 itself is about a place no report
    # covers, while one about 晋江经验 is about what 德化 wrote.
    result = pipeline.ask("晋江去年免费帮老百姓打官司打了多少件？")
    assert result.refused and "晋江" in result.answer, result.answer
    result = pipeline.ask("晋江经验是什么？")
    assert not result.refused and "晋江经验" in result.answer, result.answer



@pytest.mark.parametrize(("question", "expected"), [
    # Points counted in the question ("有几条，都是啥") are a summary's points, not a figure.
    ("鲤城那份材料里 承认的毛病有几条 都是啥", ["工作合力", "规范执法", "涉外法律"]),
    # Two-digit years are years: 23年 is not what 鲤城's 2024 report covers.
    ("鲤城前年也就是23年，上访群众对处理满意的比例是多少", None),
    # The total asked beside what is left of a caseload.
    ("安溪23年有人不服政府处理去找上级重审的 手上总共多少宗 到年底还剩几宗没结", ["269+18=287件", "269+18−240=47件"]),
    # Lawyers counted in 个 are people (5名), and 花钱 does not make it a money question.
    ("安溪县里花钱请了几个律师给书记县长拿法律主意", ["5名"]),
    ("安溪挂钩各村当法律参谋的，律所的加上乡镇法律服务所的，一共几个人", ["38+11=49名"]),
    # Two things compared with words between 谁 and the comparative ("谁开出的罚单金额大").
    ("安溪管安全生产的那个局跟管市场的那个局 谁开出的罚单金额大 差了多少", ["476.389−323.68=152.709万元"]),
    ("德化被人告的行政官司，政府没输的有几件？", ["25−1=24件"]),
    ("安溪那份报告里自己承认哪几块还差点火候", ["边远乡镇", "行政复议体制改革", "行政执法队伍力量"]),
])
def test_everyday_counts_years_and_comparisons(pipeline, question, expected):
    result = pipeline.ask(question)
    if expected is None:
        assert result.refused and "2023年" in result.answer, result.answer
        return
    assert not result.refused, result.answer
    for fact in expected:
        assert fact in result.answer, result.answer


def test_named_operands_not_found_never_add_a_total_to_its_parts(pipeline):
    # 劳资 / 两口子 name 劳动争议 and 婚姻家庭: their two figures, never 136 (the total) plus every part.
    result = pipeline.ask("虎邱镇调解的纠纷里头，劳资和两口子家里的矛盾加一块多少宗？")
    assert "18+12=30宗" in result.answer, result.answer
    assert "136+" not in result.answer


def test_a_year_said_after_one_place_is_that_places_year(pipeline):
    # 2023 is 安溪's year; 德化 is asked of its own (2024) report, and both are answered.
    result = pipeline.ask("老百姓不服政府决定去申请复议的，德化去年和安溪23年各办完了多少件")
    assert re.search(r"^德化.*73件", result.answer, re.M) and re.search(r"^安溪.*240件", result.answer, re.M), result.answer
    # Places listed together share the year said after them; one whose report is of another year says so.
    result = pipeline.ask("鲤城和安溪2024年各排查了多少矛盾纠纷")
    assert re.search(r"^鲤城.*4155件", result.answer, re.M), result.answer
    assert re.search(r"^安溪：.*没有找到", result.answer, re.M), result.answer


def test_a_place_switch_after_places_with_their_own_years_takes_the_new_places_year(pipeline):
    first = "老百姓不服政府决定去申请复议的，德化去年和安溪23年各办完了多少件"
    told = pipeline.ask(first)
    result = pipeline.ask("那鲤城呢？", history=[Turn("user", first), Turn("assistant", told.answer)])
    assert not result.refused and "2023年" not in (result.rewritten_question or ""), result.rewritten_question
    assert result.citations[0].doc == "licheng-2024"


@pytest.mark.parametrize(("question", "expected"), [
    # A pronoun (自个儿) and not having done it (没补上) name no section of the shortcomings.
    ("德化县自个儿说还有哪些短板没补上", ["人才保障不足", "行政执法规范化", "普法宣传效果"]),
    # "哪些没弄好的地方" asks for the shortcomings themselves, not for things of one kind.
    ("德化自己承认依法办事这块还有哪些没弄好的地方？", ["人才保障不足", "行政执法规范化", "普法宣传效果"]),
    # Improving is what every plan is about: 改进 narrows the plans to nothing.
    ("虎邱往后准备怎么改进 说了几条打算", ["强化宣传教育", "专业法治队伍", "加强执法工作"]),
    # 路数 of next year is its plans.
    ("鲤城明年在依法办事上的路数是啥，分几点讲", ["政治站位", "优化政府职能"]),
    # "出了哪几招" asks for the measures; 懂法 is what 普法 gives people.
    ("安溪在教老百姓懂法这件事上主要出了哪几招", ["落实普法责任", "加强阵地建设", "组建志愿队伍"]),
])
def test_a_part_asked_in_chat_words_lists_its_points(pipeline, question, expected):
    result = pipeline.ask(question)
    assert not result.refused, result.answer
    for point in expected:
        assert point in result.answer, result.answer


def test_a_county_name_that_is_an_ordinary_word_beside_a_covered_place_is_not_refused(pipeline):
    # 上街 (a district of 郑州) and 新建 (of 南昌) are verbs here; a county listed with a covered place still is one.
    result = pipeline.ask("安溪去年带出来多少个上街给大家讲法律常识的义工？")
    assert not result.refused and "1288名" in result.answer, result.answer
    result = pipeline.ask("鲤城机构改革新建了哪几个部门")
    assert not result.refused and "区委社会工作部" in result.answer, result.answer
    result = pipeline.ask("安溪和南安的法律援助各办了多少件")
    assert result.refused, result.answer


def test_people_and_kinds_of_case_in_chat_words(pipeline):
    # 义工 are volunteers, and "哪边人多 多几个" counts them.
    result = pipeline.ask("安溪和石狮讲法律的义工 哪边人多 多几个")
    assert "1288−1061=227名" in result.answer, result.answer
    # 工钱 names a kind of dispute here, not money asked.
    result = pipeline.ask("当中邻居之间闹的多少，工钱劳动那类的又多少",
                          history=[Turn("user", "虎邱镇调委会24年调了多少宗纠纷"), Turn("assistant", "136宗。")])
    assert not result.refused and "106宗" in result.answer and "18宗" in result.answer, result.answer


def test_each_places_figure_follows_the_questions_own_words_first(pipeline):
    # 败诉 is in both places' sentences, but 官司数量 asks for the caseload: 审结108件 and 案件25件.
    result = pipeline.ask("安溪23年跟德化24年，民告官的官司数量相差多少件？")
    assert "108−25=83件" in result.answer, result.answer


@pytest.mark.parametrize(("question", "expected"), [
    # 软肋, "哪几块没弄好", "差在哪几处", "你给列一列", "自我检讨的毛病是啥": the shortcomings, listed.
    ("德化自己承认在依法办事这块还有哪些软肋？", ["人才保障不足", "行政执法规范化"]),
    ("虎邱镇自己承认在按规矩办事这方面 还有哪几块没弄好", ["法治意识", "法治宣传"]),
    ("虎邱镇自己觉得法治这块还差在哪几处", ["法治意识", "法治宣传"]),
    ("鲤城区政府去年依法办事还差在哪 你给列一列", ["工作合力", "涉外法律"]),
    ("石狮那份报告里自我检讨的毛病是啥", ["法治意识", "执法质量和效能"]),
    # What is left when one part is set aside: the total less that part.
    ("鲤城在闽执法上办的案子里头 除了检查之外的还有多少件", ["12596−11692=904件"]),
    ("虎邱去年调解的纠纷里 除开邻里纠纷 剩下几宗", ["136−106=30宗"]),
    # A space typed between clauses separates them: 检查 and 处罚 are the two things compared.
    ("虎邱镇录进那个全省执法系统的案子里 检查比处罚多出几起", ["92−49=43起"]),
    # People counted as 两种人, 号人 or "…的人 多少个": the people, not 24个站 beside them.
    ("安溪给各村配的法律参谋 两种人合起来一共几个", ["38+11=49名"]),
    ("安溪给各村当法律参谋的，执业大状和乡镇搞法律服务的加起来多少号人", ["38+11=49名"]),
    ("安溪村里那两类懂法又带头的人 两样加一块总共多少个", ["6229+5085=11314名"]),
])
def test_shortcomings_remainders_and_people_in_chat_words(pipeline, question, expected):
    result = pipeline.ask(question)
    assert not result.refused, result.answer
    for fact in expected:
        assert fact in result.answer, result.answer


@pytest.mark.parametrize(("question", "expected"), [
    # 做证明/盖章证明 are 公证; 样板村 are 示范点; 大喇叭 are the 广播终端 of 应急广播.
    ("德化那边24年找官方机构给合同、遗嘱这些做证明的，一共办了多少单？", "558件"),
    ("安溪打算搞多少个村里请律师坐镇的样板点啊", "199个"),
    ("安溪乡下挂的那种刮台风发大水能喊话提醒的大喇叭，全县大概多少个", "2460个"),
    # The reports' own words come first in what the lexical search adds (和事佬 finds nothing).
    ("石狮现在帮街坊邻居劝架说和的人有多少个", "753名"),
    # 不收钱 is 免费, and asking about law is 法律咨询.
    ("德化县老百姓去问官司上的事不收钱的 一年答了多少人", "2116人次"),
])
def test_everyday_words_find_the_reports_terms(pipeline, question, expected):
    result = pipeline.ask(question)
    assert not result.refused and expected in result.answer, result.answer


def test_work_done_is_listed_from_the_work_part_not_from_next_years_plans(pipeline):
    # The best sentence (优化法律服务) is one of next year's plans: the work part's closest section is listed.
    result = pipeline.ask("德化在给群众提供法律帮助这一块 具体做了哪些事")
    assert "法律顾问制度" in result.answer and "148" in result.answer, result.answer
    assert "进一步健全完善公共法律服务体系" not in result.answer, result.answer


def test_hours_asked_as_zhongtou_are_a_time(pipeline):
    # 钟头 asks a time: 石狮's volunteers' sentence gives no hours, 安溪's does (1685小时).
    assert pipeline.ask("石狮那帮普法义工一年累计服务了多少个钟头").refused
    result = pipeline.ask("安溪的普法志愿者累计服务了多少个钟头")
    assert not result.refused and "1685小时" in result.answer, result.answer


def test_cases_asked_are_not_answered_by_sessions_or_times(pipeline):
    # "多少案件/案子": 141件 of 虎邱's platform sentence, not the 7期 and 12次 of its training sentence.
    result = pipeline.ask("鲤城、石狮、虎邱镇在执法平台上各录了多少案件")
    assert "141件" in result.answer and "12596件" in result.answer and "16180起" in result.answer, result.answer
    # 件 of documents still counts documents: 虎邱's 50篇 with 未发布规范性文件 answers for it.
    result = pipeline.ask("以政府名义发的红头文件，安溪、石狮、虎邱各出了几件？")
    assert "未发布规范性文件" in result.answer, result.answer


def test_a_place_switch_after_a_list_of_places_replaces_the_whole_list(pipeline):
    # Found in the chat screenshot: "安溪、、在执法平台上…" was shown as what was understood.
    result = pipeline.ask("那安溪呢？", history=[Turn("user", "鲤城、石狮、虎邱镇在执法平台上各录了多少案件"),
                                               Turn("assistant", "鲤城12596件，石狮16180起，虎邱镇141件")])
    assert result.rewritten_question == "安溪在执法平台上各录了多少案件", result.rewritten_question


def test_a_figure_with_duo_before_its_measure_word_is_a_figure(pipeline):
    # "5200多人" was read as no figure at all, so the sentence seemed to hold no count of people.
    result = pipeline.ask("石狮去年有多少人报名考法律，考了几次")
    assert not result.refused and "5200多人" in result.answer and "4次" in result.answer, result.answer


@pytest.mark.parametrize(("question", "keys"), [
    # chat words the reports never use ("说说看", "盘算", the fragment 我列) name no section of the part
    ("德化那边自己承认有啥短板 说說看", ("人才保障不足", "普法宣传效果")),
    ("鲤城区去年在依法行政上还有啥没补齐的短板，帮我列一下", ("工作合力", "涉外法律")),
    ("鲤城明年在依法治理上有什么盘算，几个方面都说一下", ("笃学笃行", "综合行政执法改革")),
    ("安溪县自己承认2023年还有哪些地方没搞到位？", ("边远乡镇", "行政复议体制改革")),
    ("德化2025年咋安排的 大概有几条路子", ("加强党对法治", "优化法律服务")),
])
def test_shortcomings_and_plans_asked_in_chat_words_list_the_part(pipeline, question, keys):
    result = pipeline.ask(question)
    assert not result.refused, result.answer
    assert all(k in result.answer for k in keys), result.answer


def test_a_comparison_picks_the_same_fact_in_every_place(pipeline):
    # 德化's first pick was its 56个党政机关 sentence; its 222个村(社区) sentence, which agrees with 安溪's
    # 488个村居, is found when the places' candidates are chosen together.
    result = pipeline.ask("德化和安溪，分别有多少个村子配上了律师给村里当参谋？")
    assert "222个村" in result.answer and "488个村居" in result.answer, result.answer


def test_this_town_after_a_county_and_its_town_is_the_town(pipeline):
    history = [Turn("user", "安溪的虎邱镇2024年调解了多少纠纷？"), Turn("assistant", "136宗[1]")]
    result = pipeline.ask("该镇的法律顾问审查了多少份合同？", history=history)
    assert "安溪" not in result.answer.split("：")[0] and "90件" in result.answer, result.answer


def test_a_difference_asked_in_jian_takes_figures_counted_in_qi(pipeline):
    # 多几件 of 行政检查92起 and 行政处罚49起 in one sentence, not 51起 of another.
    result = pipeline.ask("虎邱去年录进执法系统的案子 检查类的比罚款类的多几件")
    assert "92−49=43起" in result.answer, result.answer
