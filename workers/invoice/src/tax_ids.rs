//! Checking the tax ids on an invoice (DOMAIN.md) with the connectors' check-character rules:
//! a company (and every seller) has an 18-character unified social credit code (GB 32100) or
//! an old 15-character taxpayer id (region + GB 11714 organisation code); a person may give
//! one of those or an id-card number. The reasons never repeat the id: tax ids stay out of
//! run data and logs beyond the arguments that carried them.

use shopflow_connectors::tax_id::{CREDIT_CODE_CHARSET, TaxIdKind, classify};

/// Who holds the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A company or other organisation (every seller).
    Organisation,
    /// A private person.
    Person,
}

/// The id as it should be printed: spaces removed, upper case.
pub fn normalize(id: &str) -> String {
    id.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// `Ok` with the id's kind, or why it is not a valid id for `holder` (a sentence part that
/// follows "the tax id …").
pub fn check(id: &str, holder: Holder) -> Result<TaxIdKind, String> {
    let id = normalize(id);
    if let Some(kind) = classify(&id) {
        return match (kind, holder) {
            (TaxIdKind::ResidentId, Holder::Organisation) => Err(
                "is an id-card number; a company has a unified social credit code (18 characters) or an old taxpayer id (15)".into(),
            ),
            (kind, _) => Ok(kind),
        };
    }
    let len = id.chars().count();
    match len {
        18 => {
            if let Some(c) = id
                .chars()
                .find(|c| !c.is_ascii() || !CREDIT_CODE_CHARSET.contains(&(*c as u8)))
                .filter(|_| holder == Holder::Organisation || !looks_like_resident_id(&id))
            {
                let hint = match c {
                    'I' => " (a misread 1?)",
                    'O' => " (a misread 0?)",
                    'S' => " (a misread 5?)",
                    'V' => " (a misread U?)",
                    'Z' => " (a misread 2?)",
                    _ => "",
                };
                return Err(format!(
                    "contains `{c}`, which a unified social credit code never uses{hint}: it has only digits and the letters A–Y without I, O, S, V and Z"
                ));
            }
            // Every character is legal, yet the id did not classify: the check character.
            Err(match holder {
                Holder::Person => "is neither a unified social credit code nor an id-card number whose check character matches: a character is mistyped; copy it again from the buyer's documents",
                Holder::Organisation => "fails its check character (the 18th, GB 32100): a character is mistyped; copy it again from the business licence or the buyer's invoice details",
            }
            .to_owned())
        }
        15 => {
            if !id.bytes().take(6).all(|b| b.is_ascii_digit()) {
                return Err("has 15 characters like an old taxpayer id, but its first 6 (the region) are not all digits".into());
            }
            Err("fails the check character of its organisation code (the last 9 characters, GB 11714): a character is mistyped; copy it again, or ask for the 18-character unified social credit code that replaced it".into())
        }
        0 => Err("is empty".into()),
        n => Err(match holder {
            Holder::Organisation => format!(
                "has {n} characters; a unified social credit code has 18 and an old taxpayer id 15"
            ),
            Holder::Person => format!(
                "has {n} characters; a unified social credit code or an id-card number has 18, an old taxpayer id 15"
            ),
        }),
    }
}

/// 17 digits and a digit or `X`: the shape of an id-card number.
fn looks_like_resident_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 18
        && b[..17].iter().all(u8::is_ascii_digit)
        && (b[17].is_ascii_digit() || b[17] == b'X')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companies_persons_and_reasons() {
        assert_eq!(
            check("91350100M000100Y43", Holder::Organisation),
            Ok(TaxIdKind::CreditCode)
        );
        assert_eq!(
            check(" 91350100m000100y43 ", Holder::Organisation),
            Ok(TaxIdKind::CreditCode)
        );
        assert_eq!(
            check("350100M000100Y4", Holder::Organisation),
            Ok(TaxIdKind::OldTaxpayerId)
        );
        assert_eq!(
            check("11010519491231002X", Holder::Person),
            Ok(TaxIdKind::ResidentId)
        );
        assert!(
            check("11010519491231002X", Holder::Organisation)
                .unwrap_err()
                .starts_with("is an id-card number")
        );
        assert!(
            check("91350100M000100Y44", Holder::Organisation)
                .unwrap_err()
                .starts_with("fails its check character (the 18th")
        );
        assert!(
            check("91350100M000100Y44", Holder::Person)
                .unwrap_err()
                .starts_with("is neither")
        );
        assert!(
            check("91350100MO00100Y43", Holder::Organisation)
                .unwrap_err()
                .contains("`O`, which a unified social credit code never uses (a misread 0?)")
        );
        assert!(
            check("350100M000100Y5", Holder::Organisation)
                .unwrap_err()
                .contains("GB 11714")
        );
        assert_eq!(
            check("9135010", Holder::Organisation).unwrap_err(),
            "has 7 characters; a unified social credit code has 18 and an old taxpayer id 15"
        );
        let reason = check("91350100M000100Y44", Holder::Organisation).unwrap_err();
        assert!(!reason.contains("91350100"), "no id in the reason");
    }
}
