//! `[returns]` in `shopflow.toml`: the window, the amount a person must look at, which products
//! fall in which [`Category`], and which conditional exclusions the shop's buyers confirm at
//! purchase — with per-shop overrides under `[returns.shops.NAME]`.

use std::collections::BTreeMap;

use serde::Deserialize;
use shopflow_connectors::Config;
use shopflow_connectors::config::Error as ConfigError;

use crate::local_time::UtcOffset;
use crate::returns::Category;

/// The built-in words that mark a quality claim in the buyer's reason (Chinese and English).
const QUALITY_WORDS: &[&str] = &[
    "质量",
    "破损",
    "损坏",
    "坏了",
    "瑕疵",
    "发错",
    "错发",
    "少发",
    "漏发",
    "假货",
    "与描述不符",
    "不符",
    "过期",
    "变质",
    "defect",
    "broken",
    "damaged",
    "faulty",
    "wrong item",
    "not as described",
    "counterfeit",
    "missing",
];

/// The policy for one shop, defaults and overrides merged.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopReturns {
    /// Days of the no-reason window (7 by law; a shop may give more).
    pub window_days: i64,
    /// Requests above this amount (fen) go to a person; `None`: no limit.
    pub auto_agree_max_fen: Option<i64>,
    /// The shop's local time (whole days are counted in it).
    pub utc_offset: UtcOffset,
    /// Conditional exclusions the shop has buyers confirm at purchase.
    pub confirmed_at_purchase: Vec<Category>,
    /// Which products are in which category.
    pub rules: Vec<ProductRule>,
    /// Words in a reason that make the request a quality claim.
    pub quality_words: Vec<String>,
}

impl Default for ShopReturns {
    fn default() -> Self {
        Self {
            window_days: 7,
            auto_agree_max_fen: Some(50_000),
            utc_offset: UtcOffset::default(),
            confirmed_at_purchase: Vec::new(),
            rules: Vec::new(),
            quality_words: QUALITY_WORDS.iter().map(|w| (*w).to_owned()).collect(),
        }
    }
}

/// Puts products in a category by SKU prefix or by words in the title.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductRule {
    /// The category.
    pub category: Category,
    /// SKU codes starting with one of these.
    #[serde(default)]
    pub sku_prefix: Vec<String>,
    /// Titles containing one of these (case-insensitive).
    #[serde(default)]
    pub title_contains: Vec<String>,
}

impl ProductRule {
    /// Whether an item with this SKU and title is in the rule's category.
    pub fn matches(&self, sku: &str, title: &str) -> bool {
        let title = title.to_lowercase();
        self.sku_prefix
            .iter()
            .any(|p| !p.is_empty() && sku.starts_with(p.as_str()))
            || self
                .title_contains
                .iter()
                .any(|w| !w.is_empty() && title.contains(&w.to_lowercase()))
    }
}

/// `[returns]`: the defaults and the shops that differ.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReturnsSettings {
    defaults: ShopReturns,
    shops: BTreeMap<String, ShopReturns>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReturns {
    window_days: Option<i64>,
    auto_agree_max: Option<String>,
    utc_offset: Option<UtcOffset>,
    confirmed_at_purchase: Option<Vec<Category>>,
    #[serde(default)]
    rule: Vec<ProductRule>,
    quality_words: Option<Vec<String>>,
    #[serde(default)]
    shops: BTreeMap<String, RawReturns>,
}

impl ReturnsSettings {
    /// Reads `[returns]` (the defaults when absent).
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let raw: RawReturns = config.section("returns")?.unwrap_or_default();
        let fail = |message: String| ConfigError::Parse {
            path: config.path.clone(),
            message,
        };
        let defaults =
            apply(&ShopReturns::default(), &raw).map_err(|m| fail(format!("[returns]: {m}")))?;
        let mut shops = BTreeMap::new();
        for (name, over) in &raw.shops {
            if !over.shops.is_empty() {
                return Err(fail(format!(
                    "[returns.shops.{name}]: shops cannot have shops of their own"
                )));
            }
            if !config.shops.is_empty() && !config.shops.contains_key(name) {
                return Err(fail(format!(
                    "[returns.shops.{name}]: no [[shop]] is called `{name}`"
                )));
            }
            let mut shop =
                apply(&defaults, over).map_err(|m| fail(format!("[returns.shops.{name}]: {m}")))?;
            // A shop's own product rules come before the shared ones.
            shop.rules.extend(defaults.rules.iter().cloned());
            shops.insert(name.clone(), shop);
        }
        Ok(Self { defaults, shops })
    }

    /// Settings built in code (tests, embedding).
    pub fn new(defaults: ShopReturns, shops: BTreeMap<String, ShopReturns>) -> Self {
        Self { defaults, shops }
    }

    /// The policy of `shop` (the defaults for a shop without overrides).
    pub fn for_shop(&self, shop: &str) -> &ShopReturns {
        self.shops.get(shop).unwrap_or(&self.defaults)
    }
}

fn apply(base: &ShopReturns, raw: &RawReturns) -> Result<ShopReturns, String> {
    let mut out = base.clone();
    if let Some(days) = raw.window_days {
        if !(7..=90).contains(&days) {
            return Err(format!(
                "`window_days = {days}`: the law gives at least 7 days; give 7 to 90"
            ));
        }
        out.window_days = days;
    }
    if let Some(max) = &raw.auto_agree_max {
        out.auto_agree_max_fen = match max.trim() {
            "none" | "" => None,
            text => Some(
                shopflow_connectors::money::parse_yuan(text)
                    .filter(|f| *f >= 0)
                    .ok_or_else(|| {
                        format!("`auto_agree_max = \"{text}\"` is not an amount like \"500.00\" (or \"none\")")
                    })?,
            ),
        };
    }
    if let Some(o) = raw.utc_offset {
        out.utc_offset = o;
    }
    if let Some(c) = &raw.confirmed_at_purchase {
        if let Some(bad) = c.iter().find(|c| c.excluded_by_law()) {
            return Err(format!(
                "`confirmed_at_purchase` lists `{}`, which the law excludes anyway; list only hygiene, activated or near_expiry",
                bad.as_str()
            ));
        }
        out.confirmed_at_purchase = c.clone();
    }
    out.rules = raw.rule.clone();
    if let Some(bad) = out
        .rules
        .iter()
        .position(|r| r.sku_prefix.is_empty() && r.title_contains.is_empty())
    {
        return Err(format!(
            "rule {} has neither `sku_prefix` nor `title_contains`, so it matches nothing",
            bad + 1
        ));
    }
    if let Some(words) = &raw.quality_words {
        out.quality_words = words.clone();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn load(text: &str) -> Result<ReturnsSettings, ConfigError> {
        let config = Config::parse(text, Path::new("shopflow.toml"), &|_| None)?;
        ReturnsSettings::from_config(&config)
    }

    #[test]
    fn shops_override_the_defaults_and_keep_the_shared_rules() {
        let s = load(
            r#"
            [returns]
            auto_agree_max = "300.00"
            confirmed_at_purchase = ["hygiene"]
            [[returns.rule]]
            category = "perishable"
            sku_prefix = ["FRESH-"]
            [returns.shops.tmall]
            auto_agree_max = "none"
            [[returns.shops.tmall.rule]]
            category = "custom_made"
            title_contains = ["定制"]
            "#,
        )
        .unwrap();
        assert_eq!(s.for_shop("jd").auto_agree_max_fen, Some(30_000));
        let tmall = s.for_shop("tmall");
        assert_eq!(tmall.auto_agree_max_fen, None);
        assert_eq!(tmall.confirmed_at_purchase, vec![Category::Hygiene]);
        assert_eq!(tmall.rules.len(), 2);
    }

    #[test]
    fn mistakes_are_named() {
        let e = load("[returns]\nwindow_days = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least 7 days"), "{e}");
        let e = load("[returns]\nconfirmed_at_purchase = [\"perishable\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("excludes anyway"), "{e}");
        let e = load("[returns]\nwindw_days = 7\n").unwrap_err().to_string();
        assert!(e.contains("[returns]") && e.contains("windw_days"), "{e}");
        let e = load("[[returns.rule]]\ncategory = \"perishable\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("matches nothing"), "{e}");
    }
}
