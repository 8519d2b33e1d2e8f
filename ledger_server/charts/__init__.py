"""SVG charts of the read side's answers: the milestone trend (MTA) and the Tracking Gantt."""
