"""Display pacing of image sessions: the grid budget throttles by the measured cost of a grid."""

from gandojo.engine.grid_budget import GridBudget


def test_grid_budget_throttles_by_cost():
    b = GridBudget(fraction=0.1, max_fps=30)
    assert b.due(0.0)
    b._next = 5.0
    assert not b.due(4.9) and b.due(5.0)
    with b.measure():
        pass
    assert not b.due(0.0)
