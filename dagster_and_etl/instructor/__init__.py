"""Tools for the instructor, not the learner: the scripted live demo and the reset between classes."""
