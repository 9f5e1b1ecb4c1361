//! The one piece of a buyer's words a ticket keeps: a short summary, cut to
//! [`SUMMARY_CHARS`] characters, with mainland mobile numbers masked the way platforms mask
//! them (`138****5678`).

/// The longest summary kept, in characters.
pub const SUMMARY_CHARS: usize = 200;

/// `text` cut and masked; `None` when it is blank.
pub fn summarize(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut chars: Vec<char> = text.chars().take(SUMMARY_CHARS).collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        // A run cut by the length limit may be the start of a number: mask it too.
        let cut = i == chars.len() && text.chars().count() > SUMMARY_CHARS;
        let run = i - start;
        if (run == 11 && chars[start] == '1') || (cut && chars[start] == '1' && run >= 4) {
            for c in chars.iter_mut().take((start + 7).min(i)).skip(start + 3) {
                *c = '*';
            }
        }
    }
    Some(chars.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_mobile_numbers_and_keeps_order_ids() {
        assert_eq!(
            summarize("请回电13812345678，订单 4012345678901234567").as_deref(),
            Some("请回电138****5678，订单 4012345678901234567")
        );
        assert_eq!(summarize("   "), None);
        let long = "字".repeat(300);
        assert_eq!(summarize(&long).map(|s| s.chars().count()), Some(200));
    }
}
