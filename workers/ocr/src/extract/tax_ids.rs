//! Tax ids as read: Chinese ids checked with their check character (the validators of
//! `shopflow_connectors::tax_id`) and repaired only when a common misreading explains a
//! failure; European VAT ids checked for their country's shape.

use shopflow_connectors::tax_id::{TaxIdKind, classify};

/// What checking a Chinese tax id found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// Valid as read.
    Valid(TaxIdKind),
    /// Valid after undoing misreadings; the corrected id.
    Corrected(String, TaxIdKind),
    /// Invalid, and undoing misreadings does not make it valid.
    Invalid,
}

/// Letters a credit code never has (I, O, S, Z; V is handled apart) and the digits OCR
/// mistakes them for.
fn forced(c: char) -> Option<char> {
    match c {
        'O' | 'o' => Some('0'),
        'I' | 'l' | 'i' | '|' => Some('1'),
        'S' | 's' => Some('5'),
        'Z' | 'z' => Some('2'),
        _ => None,
    }
}

/// Checks `id` (upper-cased, no spaces) and tries to repair it. Only characters a valid id
/// cannot hold are replaced (a swap between two valid characters "validates" by chance once in
/// 31 tries, so it would hide a wrong check character rather than fix a misreading).
pub fn check_chinese(id: &str) -> Checked {
    if let Some(kind) = classify(id) {
        return Checked::Valid(kind);
    }
    // Characters a valid id cannot contain: replace them all at once (V is Y or U, so both
    // are tried, and only one may validate).
    let forced_fix: String = id
        .chars()
        .map(|c| forced(c).unwrap_or(c.to_ascii_uppercase()))
        .collect();
    let candidates: Vec<String> = if forced_fix.contains('V') {
        vec![forced_fix.replace('V', "Y"), forced_fix.replace('V', "U")]
    } else {
        vec![forced_fix]
    };
    let valid: Vec<(String, TaxIdKind)> = candidates
        .into_iter()
        .filter(|c| c != id)
        .filter_map(|c| classify(&c).map(|k| (c, k)))
        .collect();
    if let [(fixed, kind)] = valid.as_slice() {
        return Checked::Corrected(fixed.clone(), *kind);
    }
    // One character too many, where OCR read one glyph twice (`0O`, `1I`, `1L`): drop either
    // of such a pair, if exactly one result validates.
    let chars: Vec<char> = id.chars().collect();
    if chars.len() == 19 {
        let twin = |a: char, b: char| {
            let digit = |c: char| {
                forced(c).or(match c {
                    'L' => Some('1'),
                    _ => None,
                })
            };
            a != b && (digit(a) == Some(b) || digit(b) == Some(a))
        };
        let mut valid: Vec<(String, TaxIdKind)> = Vec::new();
        for i in 0..chars.len() - 1 {
            if twin(chars[i], chars[i + 1]) {
                for drop in [i, i + 1] {
                    let fixed: String = chars
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != drop)
                        .map(|(_, c)| *c)
                        .collect();
                    if let Some(kind) = classify(&fixed)
                        && !valid.iter().any(|(v, _)| *v == fixed)
                    {
                        valid.push((fixed, kind));
                    }
                }
            }
        }
        if let [(fixed, kind)] = valid.as_slice() {
            return Checked::Corrected(fixed.clone(), *kind);
        }
    }
    Checked::Invalid
}

/// Whether `id` (no spaces) has the shape of a VAT id of its country prefix (EU, UK, CH), or
/// of a US EIN (`12-3456789`). Shapes only: these ids' check digits are not verified.
pub fn plausible_foreign(id: &str) -> bool {
    let digits =
        |s: &str, n: &[usize]| n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if id.len() == 10 && id.as_bytes().get(2) == Some(&b'-') {
        return digits(&id[..2], &[2]) && digits(&id[3..], &[7]);
    }
    if id.len() < 4 || !id.is_char_boundary(2) {
        return false;
    }
    let (country, rest) = id.split_at(2);
    match country {
        "DE" | "PT" | "EE" | "GR" | "EL" => digits(rest, &[9]),
        "GB" => digits(rest, &[9, 12]),
        "FR" => rest.len() == 11 && rest[2..].bytes().all(|b| b.is_ascii_digit()),
        "IT" | "LV" | "HR" => digits(rest, &[11]),
        "NL" => rest.len() == 12 && rest.as_bytes()[9] == b'B',
        "AT" => rest.len() == 9 && rest.starts_with('U'),
        "ES" => rest.len() == 9,
        "BE" | "PL" | "SK" => digits(rest, &[10]),
        "DK" | "FI" | "HU" | "LU" | "MT" | "SI" => digits(rest, &[8]),
        "SE" => digits(rest, &[12]),
        "IE" => (8..=9).contains(&rest.len()),
        "CZ" => digits(rest, &[8, 9, 10]),
        "CH" | "CHE" => rest.len() >= 9,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_only_what_validates() {
        assert_eq!(
            check_chinese("91350100M000100Y43"),
            Checked::Valid(TaxIdKind::CreditCode)
        );
        // O for 0 twice: forced back.
        assert_eq!(
            check_chinese("9135O100M0001O0Y43"),
            Checked::Corrected("91350100M000100Y43".into(), TaxIdKind::CreditCode)
        );
        // A wrong check character has no misreading to undo.
        assert_eq!(check_chinese("91350100M000100Y44"), Checked::Invalid);
        // A glyph read twice.
        assert_eq!(
            check_chinese("91350100M0O00100Y43"),
            Checked::Corrected("91350100M000100Y43".into(), TaxIdKind::CreditCode)
        );
        assert!(plausible_foreign("DE812345678"));
        assert!(plausible_foreign("GB123456789"));
        assert!(plausible_foreign("FR40123456789"));
        assert!(plausible_foreign("94-3175208"));
        assert!(!plausible_foreign("DE8123"));
    }
}
