//! Buyer and seller tax ids on fapiao (DOMAIN.md): the unified social credit code
//! (统一社会信用代码, GB 32100-2015, 18 characters) with its organisation code (GB 11714), the old
//! 15-character taxpayer id (region + organisation code), and an individual's resident id
//! number (GB 11643, 18 characters, ISO 7064 MOD 11-2), each checked by its check character.

/// The 31 characters a credit code may use, valued 0..30 in this order (no I, O, S, V, Z).
pub const CREDIT_CODE_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// `3^(i-1) mod 31` for the first 17 positions.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// GB 11714 weights over the organisation code's first 8 characters.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
/// GB 11643 weights over an id number's first 17 digits.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Which kind of tax id a string is, when its check character is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxIdKind {
    /// An 18-character unified social credit code.
    CreditCode,
    /// An old 15-character taxpayer id (6-digit region + 9-character organisation code).
    OldTaxpayerId,
    /// A resident id-card number (an individual buyer), possibly followed by two digits.
    ResidentId,
}

/// The kind of `id` if it is a valid tax id of any kind (upper-case, no spaces).
pub fn classify(id: &str) -> Option<TaxIdKind> {
    if is_valid_credit_code(id) {
        Some(TaxIdKind::CreditCode)
    } else if is_valid_old_taxpayer_id(id) {
        Some(TaxIdKind::OldTaxpayerId)
    } else if is_valid_resident_id(id)
        || (id.len() == 20
            && id.is_char_boundary(18)
            && is_valid_resident_id(&id[..18])
            && id[18..].bytes().all(|b| b.is_ascii_digit()))
    {
        Some(TaxIdKind::ResidentId)
    } else {
        None
    }
}

fn value(c: u8) -> Option<u32> {
    CREDIT_CODE_CHARSET
        .iter()
        .position(|&x| x == c)
        .map(|p| p as u32)
}

/// GB 11714 value of a character: digits 0–9, letters A=10 … Z=35.
fn org_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

/// The credit code's 18th character for its first 17.
pub fn credit_code_check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    CREDIT_CODE_CHARSET.get(check as usize).copied()
}

/// The organisation code's check character (GB 11714) for its first 8.
pub fn org_code_check_char(first8: &[u8]) -> Option<u8> {
    if first8.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first8.iter().zip(ORG_WEIGHTS) {
        sum += org_value(*c)? * w;
    }
    match 11 - sum % 11 {
        10 => Some(b'X'),
        11 => Some(b'0'),
        d => Some(b'0' + u8::try_from(d).ok()?),
    }
}

/// Whether `code` is an 18-character credit code whose last character checks out.
pub fn is_valid_credit_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 18
        && b.iter().all(|c| value(*c).is_some())
        && credit_code_check_char(&b[..17]) == Some(b[17])
}

/// Whether `code` is a 9-character organisation code (GB 11714) whose check character is right.
pub fn is_valid_org_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 9 && org_code_check_char(&b[..8]) == Some(b[8])
}

/// Whether `id` is an old 15-character taxpayer id: a 6-digit region and a valid organisation code.
pub fn is_valid_old_taxpayer_id(id: &str) -> bool {
    id.len() == 15
        && id.is_char_boundary(6)
        && id[..6].bytes().all(|b| b.is_ascii_digit())
        && is_valid_org_code(&id[6..])
}

/// Whether `id` is an 18-character resident id number whose check character is right.
pub fn is_valid_resident_id(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    b[17] == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_md_example() {
        assert!(is_valid_credit_code("91350100M000100Y43"));
        assert!(!is_valid_credit_code("91350100M000100Y44"));
        assert_eq!(org_code_check_char(b"M000100Y"), Some(b'4'));
        assert_eq!(classify("91350100M000100Y43"), Some(TaxIdKind::CreditCode));
    }

    #[test]
    fn old_ids_and_resident_ids() {
        // Region 350100 + the organisation code of the example above.
        assert!(is_valid_old_taxpayer_id("350100M000100Y4"));
        assert!(!is_valid_old_taxpayer_id("350100M000100Y5"));
        // GB 11643's published example number.
        assert!(is_valid_resident_id("11010519491231002X"));
        assert!(!is_valid_resident_id("110105194912310021"));
        assert_eq!(
            classify("11010519491231002X01"),
            Some(TaxIdKind::ResidentId)
        );
        assert_eq!(classify("not an id"), None);
        assert_eq!(classify("9135０100M000100Y43"), None);
    }
}
