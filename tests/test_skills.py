

def test_a_population_that_no_longer_reaches_a_target_year_is_said_not_hidden(demo_workspace: Path) -> None:
    """The population is the plan's: a new one ending in 2027 is not refused for the skills census, but the
    training needs then name the target years outside the plan instead of spreading training over wrong years."""
    ws = Workspace.open(demo_workspace)
    try:
        frames = ws.read_all()
    finally:
        ws.close()
    frames["population"] = frames["population"].filter(pl.col("year") <= 2027)
    with pytest.raises(results.NotReady, match=r"target year\(s\) 2028, 2029, 2030, outside the plan's years after "
                                               r"the first \(2026 to 2027\)"):
        results.skills(frames)
