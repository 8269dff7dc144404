"""Question and option order are fixed by the attempt's seed alone."""

from exam_engine.attempts import option_seed, question_order
from item_bank.types.single_choice import SingleChoice

CONTENT = SingleChoice().validate({
    "stem": {"fr": "?"}, "correct": "a",
    "options": [{"id": c, "text": {"fr": c}} for c in "abcdef"],
})


def test_same_seed_same_order() -> None:
    assert question_order(1234, 20, True) == question_order(1234, 20, True)


def test_orders_differ_between_seeds_and_cover_every_question() -> None:
    orders = {tuple(question_order(seed, 20, True)) for seed in range(50)}
    assert len(orders) == 50
    assert all(sorted(order) == list(range(20)) for order in orders)


def test_no_shuffle_keeps_authored_order() -> None:
    assert question_order(99, 5, False) == [0, 1, 2, 3, 4]


def test_option_order_is_stable_per_attempt_and_item() -> None:
    seed = option_seed(42, "version-1")
    first = [o["id"] for o in SingleChoice().render(CONTENT, seed)["options"]]
    again = [o["id"] for o in SingleChoice().render(CONTENT, option_seed(42, "version-1"))
             ["options"]]
    assert first == again
    others = {tuple(o["id"] for o in SingleChoice().render(CONTENT, option_seed(s, "version-1"))
                    ["options"]) for s in range(30)}
    assert len(others) > 10


def test_unshuffled_render_keeps_authored_order() -> None:
    assert [o["id"] for o in SingleChoice().render(CONTENT, None)["options"]] == list("abcdef")
