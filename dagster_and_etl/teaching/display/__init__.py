"""What a learner sees: stable text, tables, timeline plots and widgets over the simulation's
results (cursors, ticks, automation evaluations)."""
