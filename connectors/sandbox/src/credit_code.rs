//! Making valid unified social credit codes (统一社会信用代码, GB 32100-2015), so seeded company
//! invoice requests carry codes a real validator accepts (the checks are in
//! `shopflow_connectors::tax_id`).

use shopflow_connectors::tax_id::{
    CREDIT_CODE_CHARSET as CHARSET, credit_code_check_char as check_char,
    org_code_check_char as org_check_char,
};

use crate::ids::Rng;

/// Region codes (administrative divisions) used for generated codes.
const REGIONS: [&str; 8] = [
    "110105", "310115", "440305", "330106", "320505", "510107", "420106", "350100",
];

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
    fn generated_codes_are_valid() {
        let mut rng = Rng::new(1);
        for _ in 0..200 {
            let code = generate(&mut rng);
            assert!(
                shopflow_connectors::tax_id::is_valid_credit_code(&code),
                "{code}"
            );
            assert_eq!(
                org_check_char(&code.as_bytes()[8..16]),
                Some(code.as_bytes()[16])
            );
        }
    }
}
