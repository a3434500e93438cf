"""Speech input: offline recognition of what a pupil says, always confirmed."""
