//! Unified social credit codes (统一社会信用代码, GB 32100-2015): checking and making valid ones,
//! so seeded company invoice requests carry codes a real validator accepts.

use crate::ids::Rng;

/// The 31 characters a credit code may use, valued 0..30 in this order (no I, O, S, V, Z).
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// `3^(i-1) mod 31` for the first 17 positions.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// GB 11714 weights over the organisation code's first 8 characters.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
/// Region codes (administrative divisions) used for generated codes.
const REGIONS: [&str; 8] = [
    "110105", "310115", "440305", "330106", "320505", "510107", "420106", "350100",
];

fn value(c: u8) -> Option<u32> {
    CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// GB 11714 value of a character: digits 0–9, letters A=10 … Z=35.
fn org_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

/// The 18th character for the first 17.
fn check_char(first17: &[u8]) -> Option<u8> {
    let mut sum = 0;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    CHARSET.get(check as usize).copied()
}

/// The organisation code's check character (position 17 of the credit code) for its first 8.
fn org_check_char(first8: &[u8]) -> Option<u8> {
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
pub fn is_valid(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 18 && b.iter().all(|c| value(*c).is_some()) && check_char(&b[..17]) == Some(b[17])
}

/// A valid company credit code (registration `91`, a real region, a GB 11714 organisation code).
pub(crate) fn generate(rng: &mut Rng) -> String {
    // Every character drawn is in the charset, so the first try always succeeds; the bound
    // only keeps a mistake here from spinning forever.
    for _ in 0..10 {
        let mut code = b"91".to_vec();
        code.extend_from_slice(rng.pick(&REGIONS).as_bytes());
        for _ in 0..8 {
            code.push(*rng.pick(CHARSET));
        }
        let Some(org) = org_check_char(&code[8..16]) else {
            continue;
        };
        code.push(org);
        if let Some(check) = check_char(&code) {
            code.push(check);
            if let Ok(text) = String::from_utf8(code) {
                return text;
            }
        }
    }
    "91350100M000100Y43".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_md_example() {
        assert!(is_valid("91350100M000100Y43"));
        assert!(!is_valid("91350100M000100Y44"));
        assert_eq!(org_check_char(b"M000100Y"), Some(b'4'));
    }

    #[test]
    fn generated_codes_are_valid() {
        let mut rng = Rng::new(1);
        for _ in 0..200 {
            let code = generate(&mut rng);
            assert!(is_valid(&code), "{code}");
            assert_eq!(
                org_check_char(&code.as_bytes()[8..16]),
                Some(code.as_bytes()[16])
            );
        }
    }
}
