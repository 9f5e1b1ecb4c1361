//! From Tesseract's words to rows of text: words whose vertical centres line up form a row
//! (across columns, so `名称：A … 名称：B` of buyer and seller share one), wide gaps split a
//! row into segments (shown as a tab in [`Row::text`]), and every byte of the text knows the
//! word it came from, for boxes and confidences.

use std::ops::Range;

use crate::engine::Word;
use crate::preprocess::Transform;
use crate::result::{BoundingBox, TextLine};

/// A word with its box on the source page.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The text, normalised (full-width forms to ASCII, `￥` to `¥`).
    pub text: String,
    /// Confidence 0..1.
    pub confidence: f32,
    /// Where it is on the source page.
    pub bbox: BoundingBox,
}

/// One row of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The words, left to right.
    pub tokens: Vec<Token>,
    /// Words joined: no space between two Chinese characters, a space otherwise, a tab where a
    /// wide gap separates columns.
    pub text: String,
    /// Byte range of each token in `text`.
    spans: Vec<Range<usize>>,
}

impl Row {
    /// The tokens overlapping the byte range `range` of [`Row::text`].
    fn tokens_in(&self, range: &Range<usize>) -> impl Iterator<Item = &Token> {
        self.spans
            .iter()
            .zip(&self.tokens)
            .filter(move |(s, _)| s.start < range.end && range.start < s.end)
            .map(|(_, t)| t)
    }

    /// The box around the text at `range`.
    pub fn bbox_of(&self, range: &Range<usize>) -> Option<BoundingBox> {
        self.tokens_in(range)
            .map(|t| t.bbox)
            .reduce(BoundingBox::union)
    }

    /// The confidence of the words at `range`, weighted by their length: Tesseract rates
    /// Chinese words one by one, and one unsure character should not sink a long name.
    pub fn confidence_of(&self, range: &Range<usize>) -> f32 {
        let (sum, n) = self.tokens_in(range).fold((0.0, 0usize), |(s, n), t| {
            let len = t.text.chars().count().max(1);
            (s + t.confidence * len as f32, n + len)
        });
        if n == 0 { 0.0 } else { sum / n as f32 }
    }

    /// The box around the whole row.
    pub fn bbox(&self) -> Option<BoundingBox> {
        self.tokens
            .iter()
            .map(|t| t.bbox)
            .reduce(BoundingBox::union)
    }

    /// The lowest word confidence of the row.
    pub fn min_confidence(&self) -> f32 {
        self.tokens
            .iter()
            .map(|t| t.confidence)
            .reduce(f32::min)
            .unwrap_or(0.0)
    }

    /// The row as an output line.
    pub fn to_line(&self) -> Option<TextLine> {
        let n = self.tokens.len().max(1) as f64;
        Some(TextLine {
            text: self.text.replace('\t', "  "),
            confidence: round3(
                self.tokens
                    .iter()
                    .map(|t| f64::from(t.confidence))
                    .sum::<f64>()
                    / n,
            ),
            bbox: self.bbox()?,
        })
    }
}

/// Rounds to three decimals, for confidences in JSON.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Groups the words of page `page` into rows, top to bottom.
pub fn rows(words: Vec<Word>, transform: &Transform, page: u32) -> Vec<Row> {
    group_rows(words)
        .into_iter()
        .map(|members| {
            // The median: a colon's or a dot's small box must not shrink the column gap.
            let mut heights: Vec<u32> = members.iter().map(|w| w.h).collect();
            heights.sort_unstable();
            let height = heights.get(heights.len() / 2).copied().unwrap_or(0) as f32;
            build_row(members, height, transform, page)
        })
        .collect()
}

/// Words whose vertical centres line up, as rows top to bottom, each left to right.
pub fn group_rows(words: Vec<Word>) -> Vec<Vec<Word>> {
    let mut words: Vec<Word> = words.into_iter().filter(|w| w.w > 0 && w.h > 0).collect();
    words.sort_by(|a, b| centre(a).total_cmp(&centre(b)));
    // Each group: its words and the running mean of centres and heights.
    let mut groups: Vec<(Vec<Word>, f32, f32)> = Vec::new();
    for word in words {
        let (c, h) = (centre(&word), word.h as f32);
        let found = groups
            .iter_mut()
            .rev()
            .take(4)
            .find(|(_, gc, gh)| (c - *gc).abs() <= 0.5 * gh.max(h).min(gh.min(h) * 2.0));
        match found {
            Some((members, gc, gh)) => {
                let n = members.len() as f32;
                *gc = (*gc * n + c) / (n + 1.0);
                *gh = (*gh * n + h) / (n + 1.0);
                members.push(word);
            }
            None => groups.push((vec![word], c, h)),
        }
    }
    groups.sort_by(|a, b| a.1.total_cmp(&b.1));
    groups
        .into_iter()
        .map(|(mut members, _, _)| {
            members.sort_by_key(|w| w.x);
            members
        })
        .collect()
}

fn centre(w: &Word) -> f32 {
    w.y as f32 + w.h as f32 / 2.0
}

fn build_row(words: Vec<Word>, height: f32, transform: &Transform, page: u32) -> Row {
    let mut text = String::new();
    let mut spans = Vec::with_capacity(words.len());
    let mut tokens = Vec::with_capacity(words.len());
    let mut previous: Option<&Word> = None;
    for word in &words {
        let normalised = normalise(&word.text);
        if let Some(p) = previous {
            let gap = word.x as f32 - (p.x + p.w) as f32;
            if gap > 2.0 * height {
                text.push('\t');
            } else {
                let last = text.chars().last().unwrap_or(' ');
                let first = normalised.chars().next().unwrap_or(' ');
                if !(is_cjk(last) && is_cjk(first)) {
                    text.push(' ');
                }
            }
        }
        let start = text.len();
        text.push_str(&normalised);
        spans.push(start..text.len());
        let (x, y, w, h) = transform.to_source(word.x, word.y, word.w, word.h);
        tokens.push(Token {
            text: normalised,
            confidence: word.confidence,
            bbox: BoundingBox {
                page,
                x,
                y,
                width: w,
                height: h,
            },
        });
        previous = Some(word);
    }
    Row {
        tokens,
        text,
        spans,
    }
}

/// Chinese characters and full-width punctuation: no space between two of them.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20)
}

/// Full-width ASCII to ASCII (Tesseract's `chi_sim` reads `：` `（` `％` `１` as often as
/// not), `￥` to `¥`, and letters in mostly-digit words to the digits they resemble.
pub fn normalise(word: &str) -> String {
    let mapped: String = word
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '￥' => '¥',
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect();
    let digits = mapped.chars().filter(char::is_ascii_digit).count();
    let total = mapped.chars().count();
    if total >= 6 && digits * 10 >= total * 8 {
        mapped
            .chars()
            .map(|c| match c {
                'O' | 'o' | 'D' => '0',
                'I' | 'l' | '|' => '1',
                _ => c,
            })
            .collect()
    } else {
        mapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, x: u32, y: u32, w: u32) -> Word {
        Word {
            text: text.into(),
            confidence: 0.9,
            x,
            y,
            w,
            h: 40,
        }
    }

    #[test]
    fn rows_segments_and_spans() {
        let t = Transform {
            scale: 1.0,
            angle: 0.0,
            source: (2000, 1000),
            working: (2000, 1000),
        };
        let words = vec![
            word("名称:", 100, 100, 100),
            word("上海", 205, 102, 80),
            word("名称：", 1000, 98, 100),
            word("杭州", 1105, 100, 80),
            word("Total", 100, 300, 120),
            word("1,234.56", 240, 305, 160),
        ];
        let rows = rows(words, &t, 1);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "名称: 上海\t名称: 杭州");
        assert_eq!(rows[1].text, "Total 1,234.56");
        let b = rows[1].bbox_of(&(6..14)).unwrap();
        assert_eq!((b.x, b.width), (240, 160));
        assert_eq!(normalise("2531200O0000123456"), "253120000000123456");
        assert_eq!(normalise("（小写）￥１０４．９０"), "(小写)¥104.90");
    }
}
