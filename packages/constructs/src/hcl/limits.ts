/** The longest line a generated module may have: prose and references stay on one line up to it. */
export const MAX_LINE = 200;
/** Where code breaks, for diffs that read well. */
export const LINE_WIDTH = 120;
