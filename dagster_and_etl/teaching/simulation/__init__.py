"""The daemon and the clock, played in-process: sensor ticks and their one outcome type, a
daemon-like loop that launches runs, virtual time, what a run did, and the cost of a strategy."""
