import Foundation

/// Self-contained HTML pages of trainsim's reports (`--html FILE`): one page per verb, inline SVG
/// charts drawn here, no network access. The run page is in HTMLReport+Run.swift (with the whole
/// run in +WholeRun and the timeline in HTMLTimeline.swift); sweep, search and compare pages share
/// the plans charts of HTMLReport+Plans.swift. The shell and escaping are HTMLPage's.
public enum HTMLReport {}
