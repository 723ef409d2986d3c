/**
 * Matches one path component (no `/`) against a glob of `*` and `?`
 * without a regular expression. A backtracking regex takes exponential time
 * on a pattern such as `*?*?*?…` against a name it does not match; here the
 * glob is cut at its stars into segments, the first anchored at the start,
 * the last at the end and the others found leftmost, each once, left to
 * right (leftmost is always safe when only stars separate the segments).
 * A name shorter than the glob's fixed characters is refused before any
 * search, and each segment is found by `indexOf` of its longest literal run,
 * so the common cases are linear in the name; the worst case (segments of
 * single letters between `?`s) is name length × segment length, never worse.
 */

export interface Matcher {
  test(text: string): boolean;
}

/** A run of literal characters at an offset inside its segment; `?` fills the gaps. */
interface Piece {
  at: number;
  text: string;
}

interface Segment {
  /** Length in code units (`?` counts one: the fast path is for text without surrogates). */
  length: number;
  pieces: Piece[];
  /** The longest piece, searched with indexOf; undefined when the segment is all `?`. */
  anchor?: Piece;
}

const SURROGATE = /[\uD800-\uDFFF]/;

export class ComponentGlob implements Matcher {
  private readonly segments: Segment[];
  private readonly starred: boolean;
  private readonly fixed: number;
  private readonly astral: boolean;
  private readonly codePoints: number[];

  constructor(readonly source: string) {
    this.astral = SURROGATE.test(source);
    this.codePoints = Array.from(source, (char) => char.codePointAt(0) as number);
    const parts = source.split('*');
    this.starred = parts.length > 1;
    this.segments = parts.map(segmentOf);
    this.fixed = this.segments.reduce((sum, segment) => sum + segment.length, 0);
  }

  test(text: string): boolean {
    // `?` is one code point: with surrogates on either side, offsets in code units no longer line up.
    if (this.astral || SURROGATE.test(text)) return matchCodePoints(this.codePoints, text);
    if (text.length < this.fixed) return false;
    const segments = this.segments;
    const first = segments[0] as Segment;
    if (!this.starred) return text.length === first.length && segmentAt(first, text, 0);
    const last = segments[segments.length - 1] as Segment;
    const end = text.length - last.length;
    if (!segmentAt(first, text, 0) || !segmentAt(last, text, end)) return false;
    let from = first.length;
    for (let i = 1; i < segments.length - 1; i++) {
      const segment = segments[i] as Segment;
      const at = findSegment(segment, text, from, end);
      if (at < 0) return false;
      from = at + segment.length;
    }
    return true;
  }
}

function segmentOf(glob: string): Segment {
  const pieces: Piece[] = [];
  let start = -1;
  for (let i = 0; i <= glob.length; i++) {
    const literal = i < glob.length && glob[i] !== '?';
    if (literal && start < 0) start = i;
    if (!literal && start >= 0) {
      pieces.push({ at: start, text: glob.slice(start, i) });
      start = -1;
    }
  }
  let anchor: Piece | undefined;
  for (const piece of pieces) if (!anchor || piece.text.length > anchor.text.length) anchor = piece;
  return { length: glob.length, pieces, anchor };
}

function segmentAt(segment: Segment, text: string, at: number): boolean {
  for (const piece of segment.pieces) if (!text.startsWith(piece.text, at + piece.at)) return false;
  return true;
}

/** The leftmost offset in [from, end - length] where the segment matches, or -1. */
function findSegment(segment: Segment, text: string, from: number, end: number): number {
  const last = end - segment.length;
  if (last < from) return -1;
  const anchor = segment.anchor;
  if (!anchor) return from;
  let at = text.indexOf(anchor.text, from + anchor.at);
  while (at >= 0 && at - anchor.at <= last) {
    if (segmentAt(segment, text, at - anchor.at)) return at - anchor.at;
    at = text.indexOf(anchor.text, at + 1);
  }
  return -1;
}

const STAR = 0x2a;
const QUESTION = 0x3f;

/**
 * The same glob over code points, for names outside the Basic Multilingual
 * Plane: the classic two-pointer match that remembers only the last star,
 * so at worst name × pattern steps.
 */
function matchCodePoints(glob: number[], textString: string): boolean {
  const text = Array.from(textString, (char) => char.codePointAt(0) as number);
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    const want = glob[g];
    if (g < glob.length && want !== STAR && (want === QUESTION || want === text[t])) {
      g++;
      t++;
    } else if (want === STAR) {
      star = g++;
      resume = t;
    } else if (star >= 0) {
      g = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (glob[g] === STAR) g++;
  return g === glob.length;
}
