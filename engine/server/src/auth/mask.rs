//! Masking personal data for roles that may not see it (viewers): phone numbers keep their
//! first 3 and last 4 digits (`138****5678`), street addresses keep province and city
//! (`浙江省杭州市****`), tax ids their first 4 and last 2 characters, people's names their
//! first character. Found by key name anywhere in a JSON document (`phone`, `receiver_mobile`,
//! `address`, `buyer_tax_id`, `receiver`, …, also camelCase) and, in any other string, by
//! value: an 11-digit mainland mobile number or a tax id whose check character is right
//! (18-character credit codes and resident ids, 15-character old taxpayer ids).
//!
//! Masking is idempotent: masking masked data changes nothing.

use serde_json::Value;
use shopflow_connectors::model::{mask_name, mask_phone};
use shopflow_connectors::tax_id;

/// What kind of personal data a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Phone,
    /// A street address: province and city stay.
    Address,
    /// A part of an address below the city (district, street): masked whole.
    AddressPart,
    TaxId,
    Name,
}

/// Keys under which an object keeps the value its own key names (OCR fields, corrections).
const VALUE_KEYS: [&str; 9] = [
    "value",
    "text",
    "raw",
    "original",
    "corrected",
    "before",
    "after",
    "old",
    "new",
];

/// Masks every phone number, street address, tax id and person's name in `value`, in place.
pub fn mask_personal(value: &mut Value) {
    mask(value, None, false);
}

/// Masks `value`, which sits under a key of `kind` (if any), inside an object about a person
/// or an address when `personal`.
fn mask(value: &mut Value, kind: Option<Kind>, personal: bool) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                // `{"buyer_tax_id": {"value": …, "confidence": 0.93}}`: the value is a tax id,
                // the confidence is not.
                let child_kind = classify(key, personal)
                    .or_else(|| kind.filter(|_| VALUE_KEYS.contains(&snake(key).as_str())));
                mask(child, child_kind, personal || child_kind.is_some());
            }
        }
        Value::Array(items) => {
            for item in items {
                mask(item, kind, personal);
            }
        }
        Value::String(text) => {
            let masked = match kind {
                Some(kind) => mask_as(kind, text),
                None => mask_patterns(text),
            };
            if let Some(masked) = masked {
                *text = masked;
            }
        }
        Value::Number(n) => {
            if let Some(kind @ (Kind::Phone | Kind::TaxId)) = kind
                && let Some(masked) = mask_as(kind, &n.to_string())
            {
                *value = Value::String(masked);
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

/// `key` as lower snake case: `receiverMobile` → `receiver_mobile`, `tax-id` → `tax_id`.
fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            out.push(if c == '-' || c == ' ' { '_' } else { c });
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// The kind of personal data a key holds, if any.
fn classify(key: &str, personal: bool) -> Option<Kind> {
    let k = snake(key);
    // Facts about a value, not the value: `buyer_tax_id_valid`, `address_id`, `phone_count`.
    const NOT_DATA: [&str; 10] = [
        "_id",
        "_ids",
        "_valid",
        "_checksum",
        "_format",
        "_kind",
        "_type",
        "_count",
        "_corrected",
        "_status",
    ];
    let is_tax = k.contains("tax_id")
        || k.contains("taxid")
        || k.contains("credit_code")
        || k.contains("taxpayer_id")
        || k == "uscc";
    let names_tax_ids = is_tax && (k.ends_with("tax_id") || k.ends_with("tax_ids"));
    if NOT_DATA.iter().any(|s| k.ends_with(s)) && !names_tax_ids {
        return None;
    }
    if is_tax {
        return Some(Kind::TaxId);
    }
    if k.contains("phone")
        || k.contains("mobile")
        || k == "tel"
        || k.ends_with("_tel")
        || k.starts_with("tel_")
    {
        return Some(Kind::Phone);
    }
    if k.contains("address") || k == "addr" || k.ends_with("_addr") {
        return Some(Kind::Address);
    }
    if k.contains("district") || k.contains("street") || k.contains("town") {
        return Some(Kind::AddressPart);
    }
    const NAMES: [&str; 9] = [
        "receiver",
        "receiver_name",
        "consignee",
        "consignee_name",
        "recipient",
        "recipient_name",
        "contact_name",
        "real_name",
        "buyer_real_name",
    ];
    if NAMES.contains(&k.as_str()) {
        return Some(Kind::Name);
    }
    const NAMES_INSIDE: [&str; 5] = ["name", "first_name", "last_name", "full_name", "contact"];
    const PARTS_INSIDE: [&str; 3] = ["detail", "house", "room"];
    if personal && NAMES_INSIDE.contains(&k.as_str()) {
        return Some(Kind::Name);
    }
    if personal && PARTS_INSIDE.contains(&k.as_str()) {
        return Some(Kind::AddressPart);
    }
    None
}

/// `text` masked as `kind`; `None` when there is nothing to mask.
fn mask_as(kind: Kind, text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    Some(match kind {
        Kind::Phone => mask_phone(text),
        Kind::Address => mask_address(text),
        Kind::AddressPart => "****".to_owned(),
        Kind::TaxId => mask_tax_id(text),
        Kind::Name => mask_name(text),
    })
}

/// Keeps the first 4 and last 2 characters of a tax id.
pub(crate) fn mask_tax_id(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    let n = chars.len();
    if n < 8 {
        return "*".repeat(n);
    }
    chars[..4]
        .iter()
        .copied()
        .chain(std::iter::repeat_n('*', n - 6))
        .chain(chars[n - 2..].iter().copied())
        .collect()
}

/// Keeps the province and city of an address and masks the rest: `浙江省杭州市****`; a Latin
/// address keeps its last two comma-separated parts (`****, Springfield, IL 62704`).
pub(crate) fn mask_address(address: &str) -> String {
    let text = address.trim();
    if text.chars().any(|c| u32::from(c) >= 0x2E80) {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        return format!("{}****", region_prefix(&compact));
    }
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    if parts.len() >= 3 {
        format!("****, {}", parts[parts.len() - 2..].join(", "))
    } else {
        "****".to_owned()
    }
}

/// The province and city at the start of a Chinese address (`浙江省杭州市`), possibly empty.
fn region_prefix(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    let province = earliest_end(&chars, 0, 10, &["特别行政区", "自治区", "省", "市"]);
    let Some(province) = province else {
        return String::new();
    };
    let city = earliest_end(&chars, province, 8, &["自治州", "地区", "市"]).unwrap_or(province);
    chars[..city].iter().collect()
}

/// Where the earliest of `suffixes` found within `window` characters after `from` ends.
fn earliest_end(chars: &[char], from: usize, window: usize, suffixes: &[&str]) -> Option<usize> {
    let limit = chars.len().min(from + window);
    suffixes
        .iter()
        .filter_map(|suffix| {
            let s: Vec<char> = suffix.chars().collect();
            (from..limit)
                .find(|&i| chars.get(i..i + s.len()) == Some(&s[..]))
                .map(|i| i + s.len())
        })
        .min()
}

/// Masks mobile numbers and tax ids found inside free text; `None` when there are none.
fn mask_patterns(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        out.push_str(&rest[..start]);
        let token_len = rest[start..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len() - start);
        let token = &rest[start..start + token_len];
        match mask_token(token) {
            Some(masked) => {
                out.push_str(&masked);
                changed = true;
            }
            None => out.push_str(token),
        }
        rest = &rest[start + token_len..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// A run of ASCII letters and digits masked if it is a mobile number or a tax id.
fn mask_token(token: &str) -> Option<String> {
    let b = token.as_bytes();
    let all_digits = b.iter().all(u8::is_ascii_digit);
    let mobile = |d: &[u8]| d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1]);
    if all_digits && mobile(b) {
        return Some(mask_phone(token));
    }
    if all_digits && b.len() == 13 && b.starts_with(b"86") && mobile(&b[2..]) {
        return Some(mask_phone(token));
    }
    if b.len() == 18 || b.len() == 15 {
        let upper = token.to_ascii_uppercase();
        if tax_id::classify(&upper).is_some() {
            return Some(mask_tax_id(token));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const USCC: &str = "91350100M000100Y43";

    #[test]
    fn the_sample_credit_code_is_valid() {
        assert!(tax_id::is_valid_credit_code(USCC));
        assert!(!tax_id::is_valid_credit_code("91350100M000100Y44"));
    }

    #[test]
    fn masks_by_key_name() {
        let mut v = json!({
            "phone": "13812345678",
            "receiverMobile": 13912345678_u64,
            "address": "浙江省杭州市西湖区文三路90号东部软件园",
            "receiver_address": "上海市浦东新区张江路88号3栋",
            "buyer_tax_id": "91330106MA2H4KD754",
            "seller_tax_id": "330106123456789",
            "receiver": "张三丰",
            "receiver_district": "西湖区",
            "receiver_city": "杭州市",
            "address_id": "A-1",
            "buyer_tax_id_valid": true,
            "amount": "104.90",
        });
        mask_personal(&mut v);
        assert_eq!(
            v,
            json!({
                "phone": "138****5678",
                "receiverMobile": "139****5678",
                "address": "浙江省杭州市****",
                "receiver_address": "上海市****",
                "buyer_tax_id": "9133************54",
                "seller_tax_id": "3301*********89",
                "receiver": "张**",
                "receiver_district": "****",
                "receiver_city": "杭州市",
                "address_id": "A-1",
                "buyer_tax_id_valid": true,
                "amount": "104.90",
            })
        );
    }

    #[test]
    fn masks_inside_person_and_address_objects() {
        let mut v = json!({"order": {"shipping_address": {
            "name": "Ann Lee", "first_name": "Ann", "address1": "1 Main St",
            "city": "Springfield", "province": "IL", "zip": "62704",
            "phone": "+1 415 555 0100", "country": "US"
        }, "receiver": {"name": "李四", "phone": "13800001111", "region": "浙江省 杭州市"},
           "buyer_tax_id": {"value": "91330106MA2H4KD75X", "confidence": 0.61, "box": [1, 2, 3, 4]},
           "name": "Blue mug"}});
        mask_personal(&mut v);
        let a = &v["order"]["shipping_address"];
        assert_eq!(a["name"], "A******");
        assert_eq!(a["first_name"], "A**");
        assert_eq!(a["address1"], "****");
        assert_eq!(a["city"], "Springfield");
        assert_eq!(a["zip"], "62704");
        assert_eq!(a["phone"], "+1 ********0100");
        assert_eq!(v["order"]["receiver"]["name"], "李*");
        assert_eq!(v["order"]["receiver"]["phone"], "138****1111");
        assert_eq!(v["order"]["receiver"]["region"], "浙江省 杭州市");
        assert_eq!(
            v["order"]["name"], "Blue mug",
            "a product name is no person"
        );
        let ocr = &v["order"]["buyer_tax_id"];
        assert_eq!(
            ocr["value"], "9133************5X",
            "a misread tax id is masked by its key"
        );
        assert_eq!(ocr["confidence"], 0.61);
        assert_eq!(ocr["box"], json!([1, 2, 3, 4]));
    }

    #[test]
    fn masks_by_value_pattern_in_free_text() {
        let mut v = json!({
            "text": format!("我的手机13812345678，收件电话8613900001111，税号{USCC}"),
            "lines": ["order 202406150000123456 shipped", "call 02112345678"],
        });
        mask_personal(&mut v);
        assert_eq!(
            v["text"],
            "我的手机138****5678，收件电话861******1111，税号9135************43"
        );
        // An 18-digit order id without a tax id's check character, and a landline, stay.
        assert!(tax_id::classify("202406150000123456").is_none());
        assert_eq!(v["lines"][0], "order 202406150000123456 shipped");
        assert_eq!(v["lines"][1], "call 02112345678");
    }

    #[test]
    fn latin_addresses_keep_city_and_state() {
        assert_eq!(
            mask_address("123 Main St, Springfield, IL 62704"),
            "****, Springfield, IL 62704"
        );
        assert_eq!(mask_address("Main St 1"), "****");
        assert_eq!(
            mask_address("新疆维吾尔自治区乌鲁木齐市天山区"),
            "新疆维吾尔自治区乌鲁木齐市****"
        );
        assert_eq!(mask_address("北京市朝阳区建国路1号"), "北京市****");
        assert_eq!(mask_address("文三路90号"), "****");
    }

    #[test]
    fn masking_twice_changes_nothing_more() {
        let mut v = json!({
            "phone": "13812345678", "address": "浙江省杭州市西湖区文三路90号",
            "tax_id": USCC, "receiver_name": "王五", "note": format!("税号 {USCC}"),
        });
        mask_personal(&mut v);
        let once = v.clone();
        mask_personal(&mut v);
        assert_eq!(v, once);
    }
}
