from main import moyenne


def test_moyenne():
    assert moyenne([10, 20]) == 15
    assert moyenne([]) == 0
    assert abs(moyenne([1, 2, 2]) - 5 / 3) < 1e-9
