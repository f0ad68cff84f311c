/**
 * CLIP's caption cleanup, as open_clip's SimpleTokenizer does it (clean='lower'):
 *   whitespace_clean(basic_clean(text)).lower(), where
 *   basic_clean(t) = html.unescape(html.unescape(ftfy.fix_text(t))).strip()
 *   whitespace_clean(t) = ' '.join(t.split())
 *
 * ftfy.fix_text is ported fixer by fixer with its default settings, except its mojibake
 * repair (`fix_encoding`: re-decoding text that was decoded with the wrong codec), which
 * needs ftfy's statistical heuristics; captions with mojibake can therefore tokenise
 * differently from CLIP's. The HTML tables are Python's own (html-entities.json).
 */
import entityTables from './html-entities.json';

interface EntityTables {
  html5: Record<string, string>;
  invalidCharrefs: Record<string, string>;
  invalidCodepoints: number[];
}

const tables: EntityTables = entityTables;
const HTML5 = new Map(Object.entries(tables.html5));
const INVALID_CHARREFS = new Map(Object.entries(tables.invalidCharrefs).map(([code, text]) => [Number(code), text]));
const INVALID_CODEPOINTS = new Set(tables.invalidCodepoints);

/** Python's html._charref. */
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

/** Python's html.unescape: named and numeric character references, with its repairs. */
export function htmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARREF, (_match, ref: string) => {
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      const code = parseInt(ref.slice(hex ? 2 : 1).replace(/;$/, ''), hex ? 16 : 10);
      const replacement = INVALID_CHARREFS.get(code);
      if (replacement !== undefined) return replacement;
      if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return '\ufffd';
      if (INVALID_CODEPOINTS.has(code)) return '';
      return String.fromCodePoint(code);
    }
    const exact = HTML5.get(ref);
    if (exact !== undefined) return exact;
    // the longest entity name that prefixes the reference (legacy names without ';')
    for (let end = ref.length - 1; end > 1; end--) {
      const prefix = HTML5.get(ref.slice(0, end));
      if (prefix !== undefined) return prefix + ref.slice(end);
    }
    return `&${ref}`;
  });
}

// ---- ftfy.fix_text (default TextFixerConfig, without fix_encoding) ----

let ftfyEntities: Map<string, string> | undefined;

/** ftfy's HTML_ENTITIES: `&name;` entities, plus upper-cased ones (`&NTILDE;` → Ñ) where unambiguous. */
function ftfyEntityTable(): Map<string, string> {
  if (ftfyEntities) return ftfyEntities;
  ftfyEntities = new Map();
  for (const [name, char] of HTML5) {
    if (!name.endsWith(';')) continue;
    ftfyEntities.set(`&${name}`, char);
    if (name === name.toLowerCase()) {
      const upper = `&${name.toUpperCase()}`;
      if (htmlUnescape(upper) === upper) ftfyEntities.set(upper, char.toUpperCase());
    }
  }
  return ftfyEntities;
}

const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

function ftfyUnescapeHtml(text: string): string {
  return text.replace(FTFY_ENTITY, (entity) => {
    const known = ftfyEntityTable().get(entity);
    if (known !== undefined) return known;
    if (entity.startsWith('&#')) {
      const decoded = htmlUnescape(entity);
      return decoded.includes(';') ? entity : decoded;
    }
    return entity;
  });
}

/** C1 controls read as Windows-1252, as browsers do (Python's table for them is the same). */
const fixC1Controls = (text: string): string => text.replace(/[\x80-\x9f]/g, (c) => INVALID_CHARREFS.get(c.charCodeAt(0)) ?? c);

const LATIN_LIGATURES: Record<string, string> = {
  Ĳ: 'IJ', ĳ: 'ij', ŉ: 'ʼn', Ǳ: 'DZ', ǲ: 'Dz', ǳ: 'dz', Ǆ: 'DŽ', ǅ: 'Dž', ǆ: 'dž', Ǉ: 'LJ', ǈ: 'Lj', ǉ: 'lj',
  Ǌ: 'NJ', ǋ: 'Nj', ǌ: 'nj', ﬀ: 'ff', ﬁ: 'fi', ﬂ: 'fl', ﬃ: 'ffi', ﬄ: 'ffl', ﬅ: 'ſt', ﬆ: 'st',
};
const LIGATURE_RE = new RegExp(`[${Object.keys(LATIN_LIGATURES).join('')}]`, 'g');
const fixLatinLigatures = (text: string): string => text.replace(LIGATURE_RE, (c) => LATIN_LIGATURES[c]);

/** Halfwidth/fullwidth forms (U+FF01–U+FFEF) to their NFKC form, and the ideographic space to a space. */
const fixCharacterWidth = (text: string): string =>
  text.replace(/[\u3000\uff01-\uffef]/g, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));

const uncurlQuotes = (text: string): string => text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");

const fixLineBreaks = (text: string): string => text.replace(/\r\n|[\r\u2028\u2029\u0085]/g, '\n');

const fixSurrogates = (text: string): string => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

const removeTerminalEscapes = (text: string): string => text.replace(/\x1b\[((?:\p{Nd}|;)*)([a-zA-Z])/gu, '');

// eslint-disable-next-line no-control-regex
const removeControlChars = (text: string): string => text.replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g, '');

function fixSegment(segment: string, unescapeHtml: boolean): string {
  let text = segment;
  for (;;) {
    const before = text;
    if (unescapeHtml) text = ftfyUnescapeHtml(text);
    text = fixC1Controls(text);
    text = fixLatinLigatures(text);
    text = fixCharacterWidth(text);
    text = uncurlQuotes(text);
    text = fixLineBreaks(text);
    text = fixSurrogates(text);
    text = removeTerminalEscapes(text);
    text = removeControlChars(text);
    text = text.normalize('NFC');
    if (text === before) return text;
  }
}

/**
 * ftfy.fix_text: line by line; HTML entities are decoded unless a literal `<` has been seen
 * (then the text is taken to be HTML, and left for html.unescape).
 */
export function ftfyFixText(text: string): string {
  let unescapeHtml = true;
  const out: string[] = [];
  for (let pos = 0; pos < text.length; ) {
    const lineEnd = text.indexOf('\n', pos) + 1 || text.length;
    const segment = text.slice(pos, lineEnd);
    if (segment.includes('<')) unescapeHtml = false;
    out.push(fixSegment(segment, unescapeHtml));
    pos = lineEnd;
  }
  return out.join('');
}

/** Python's str.split() separators (str.isspace). */
const PYTHON_WHITESPACE = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** The text CLIP's BPE sees: ftfy, html.unescape twice, whitespace collapsed, lower case. */
export function clipCleanText(text: string): string {
  const basic = htmlUnescape(htmlUnescape(ftfyFixText(text)));
  return basic
    .split(PYTHON_WHITESPACE)
    .filter((word) => word.length > 0)
    .join(' ')
    .toLowerCase();
}
