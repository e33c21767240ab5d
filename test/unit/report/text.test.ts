import { describe, expect, it } from 'vitest';
import { escapeHtml, htmlText } from '../../../main/report/html-escape';
import { neutralised, spreadsheetText } from '../../../main/report/spreadsheet-safe';
import { bounded, reportText, TEXT_LIMIT_CHARS, wellFormed } from '../../../main/report/text';

describe('report text', () => {
  it('replaces lone surrogates and keeps pairs', () => {
    expect(wellFormed('a\ud800b\udc00c\ud83d\ude00')).toBe('a\uFFFDb\uFFFDc\ud83d\ude00');
    expect(wellFormed('\ud800')).toBe('\uFFFD');
    expect(wellFormed('\udc00\ud800')).toBe('\uFFFD\uFFFD');
  });

  it('bounds text with an ellipsis and never cuts a surrogate pair in half', () => {
    expect(bounded('abc', 3)).toBe('abc');
    expect(bounded('abcd', 3)).toBe('ab…');
    expect(bounded('a\ud83d\ude00bc', 3)).toBe('a…');
    expect(reportText('x'.repeat(10_240))).toHaveLength(TEXT_LIMIT_CHARS);
  });

  it('makes controls and bidi overrides visible first, so an escape is what gets bounded', () => {
    expect(reportText('a\x1b[2Jb\u202ec')).toBe('a\\x1b[2Jb\\u202ec');
  });
});

describe('spreadsheet-safe text', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\uFF1D1+1', "'\uFF1D1+1"],
    ['\uFF0B1', "'\uFF0B1"],
    ['\uFF0D1', "'\uFF0D1"],
    ['\uFF20SUM(A1)', "'\uFF20SUM(A1)"],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
    ['', ''],
  ])('%j becomes %j', (raw, cell) => {
    expect(spreadsheetText(raw)).toBe(cell);
  });

  it('neutralises a leading tab, CR or LF even in text that skipped printable()', () => {
    expect(neutralised('\t=1')).toBe("'\t=1");
    expect(neutralised('\r=1')).toBe("'\r=1");
    expect(neutralised('\n=1')).toBe("'\n=1");
  });

  it('shows a leading tab, CR or LF escaped when it came from the system, so the cell starts with a backslash', () => {
    expect(spreadsheetText('\t=1')).toBe('\\x09=1');
    expect(spreadsheetText('\r\n=1')).toBe('\\x0d\\x0a=1');
  });
});

describe('HTML escaping', () => {
  it('escapes the five characters that end text or an attribute, every time it is called', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    // The same input twice in a row: a global regex's state must not skip the second.
    expect(escapeHtml('<')).toBe('&lt;');
    expect(escapeHtml('<')).toBe('&lt;');
  });

  it('makes system text printable, well-formed and bounded before escaping it', () => {
    expect(htmlText('<\u202e\ud800>', 10)).toBe('&lt;\\u202e\uFFFD&gt;');
  });
});
