//! Turning text into features: words (jieba for Chinese, lower-cased words for other scripts),
//! Chinese character bigrams (robust to words jieba splits differently), and a few signals of
//! intensity (exclamation marks, capitals). Pure and deterministic.

use std::sync::OnceLock;

use jieba_rs::Jieba;

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// The features of `text`, each a string such as `w:退货`, `b:退货`, `!:2`.
pub fn features(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    for token in jieba().cut(&lower, true) {
        let token = token.word.trim();
        if token.is_empty() || token.chars().all(|c| !c.is_alphanumeric()) {
            continue;
        }
        if token.chars().any(is_cjk) {
            out.push(format!("w:{token}"));
        } else {
            // jieba keeps Latin runs whole; split them into words and drop digits-only ones
            // (order numbers say nothing about the topic).
            for word in token.split(|c: char| !c.is_alphanumeric() && c != '\'') {
                if word.len() > 1 && !word.chars().all(|c| c.is_ascii_digit()) {
                    out.push(format!("w:{word}"));
                }
            }
        }
    }
    let cjk: Vec<char> = lower.chars().filter(|c| is_cjk(*c)).collect();
    for pair in cjk.windows(2) {
        out.push(format!("b:{}{}", pair[0], pair[1]));
    }
    let bangs = text.chars().filter(|c| matches!(c, '!' | '！')).count();
    if bangs > 0 {
        out.push(format!("!:{}", bangs.min(3)));
    }
    if text.chars().any(|c| matches!(c, '?' | '？')) {
        out.push("?".to_owned());
    }
    let letters: Vec<char> = text.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    if letters.len() >= 8
        && letters.iter().filter(|c| c.is_ascii_uppercase()).count() * 2 > letters.len()
    {
        out.push("caps".to_owned());
    }
    out.push("bias".to_owned());
    out
}

/// Whether the text is mostly Chinese (`zh`) or not (`en`).
pub fn language(text: &str) -> &'static str {
    let cjk = text.chars().filter(|c| is_cjk(*c)).count();
    let latin = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
    if cjk * 2 >= latin { "zh" } else { "en" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_words_bigrams_and_english_words() {
        let f = features("快递三天了还没到！！Where is my PARCEL 12345?");
        assert!(f.contains(&"w:快递".to_owned()), "{f:?}");
        assert!(f.contains(&"b:还没".to_owned()), "{f:?}");
        assert!(f.contains(&"w:parcel".to_owned()), "{f:?}");
        assert!(!f.iter().any(|x| x.contains("12345")), "{f:?}");
        assert!(f.contains(&"!:2".to_owned()));
        assert_eq!(language("快递还没到"), "zh");
        assert_eq!(language("where is my parcel"), "en");
    }
}
