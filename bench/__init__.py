"""`make bench`: measured figures (AWS calls per touch and per click, sweep reads, cold import,
dispatch memory, cost). Lives outside the test suite: it prints figures, it asserts none."""
