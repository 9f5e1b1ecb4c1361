//! `[invoice]` in shopflow.toml: the seller printed when a flow gives none, the province and
//! channel digits of invoice numbers, the issuer (开票人) and the default kind.
//!
//! ```toml
//! [invoice]
//! province = "33"          # GB/T 2260 province code: the 3rd and 4th digits of numbers
//! channel = 2              # the 5th digit (default 2)
//! issuer = "王芳"           # 开票人
//! kind = "normal"          # normal (普通发票) | special (增值税专用发票)
//!
//! [invoice.seller]
//! name = "杭州云栖科技有限公司"
//! tax_id = "91330106MA2H4KD754"
//! ```

use serde::Deserialize;
use shopflow_connectors::Config;

use crate::compute::Party;
use crate::tax_ids::{Holder, check};

/// Which fapiao.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceKind {
    /// 电子发票（普通发票）.
    #[default]
    Normal,
    /// 电子发票（增值税专用发票）: the buyer must be a company with a tax id.
    Special,
}

impl InvoiceKind {
    /// The title printed at the top.
    pub fn title(self) -> &'static str {
        match self {
            InvoiceKind::Normal => "电子发票（普通发票）",
            InvoiceKind::Special => "电子发票（增值税专用发票）",
        }
    }
}

/// `[invoice.seller]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SellerSettings {
    /// The seller's name.
    pub name: String,
    /// Its unified social credit code.
    pub tax_id: String,
}

/// `[invoice]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceSettings {
    /// Two-digit GB/T 2260 province code (`"33"` Zhejiang); needed to number invoices.
    #[serde(default)]
    pub province: Option<String>,
    /// The fifth digit of invoice numbers, the issuing channel.
    #[serde(default = "default_channel")]
    pub channel: u8,
    /// 开票人, when a flow gives no `issuer`.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The kind when a flow gives no `kind`.
    #[serde(default)]
    pub kind: InvoiceKind,
    /// The seller when a flow gives none.
    #[serde(default)]
    pub seller: Option<SellerSettings>,
}

fn default_channel() -> u8 {
    2
}

/// GB/T 2260's province-level codes.
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

impl InvoiceSettings {
    /// `[invoice]` of `config` (defaults when it has none), checked. The error names the file,
    /// the section and the key.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let settings: Self = config
            .section("invoice")
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        settings
            .check()
            .map_err(|e| format!("{}: [invoice]: {e}", config.path.display()))?;
        Ok(settings)
    }

    /// Whether the values make sense (the province exists, the channel is one digit, the
    /// seller's tax id passes its check character).
    pub fn check(&self) -> Result<(), String> {
        if let Some(p) = &self.province
            && !PROVINCES.contains(&p.as_str())
        {
            return Err(format!(
                "`province` \"{p}\" is not a two-digit GB/T 2260 province code (\"11\" Beijing, \"31\" Shanghai, \"33\" Zhejiang, \"44\" Guangdong, …)"
            ));
        }
        if self.channel > 9 {
            return Err(format!("`channel` {} is not one digit (0–9)", self.channel));
        }
        if let Some(s) = &self.seller {
            if s.name.trim().is_empty() {
                return Err("`seller.name` is empty".into());
            }
            check(&s.tax_id, Holder::Organisation)
                .map_err(|why| format!("`seller.tax_id` {why}"))?;
        }
        if self.issuer.as_deref().is_some_and(|i| i.trim().is_empty()) {
            return Err(
                "`issuer` is empty; leave it out or name the person who issues invoices".into(),
            );
        }
        Ok(())
    }

    /// The configured seller as a party.
    pub fn seller(&self) -> Option<Party> {
        self.seller.as_ref().map(|s| Party {
            name: s.name.trim().to_owned(),
            tax_id: Some(s.tax_id.trim().to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn parse(text: &str) -> Result<InvoiceSettings, String> {
        let config = Config::parse(text, Path::new("shopflow.toml"), &|_| None)
            .map_err(|e| e.to_string())?;
        InvoiceSettings::from_config(&config)
    }

    #[test]
    fn reads_checks_and_names_the_key() {
        let s = parse(
            "[invoice]\nprovince = \"33\"\nissuer = \"王芳\"\nkind = \"special\"\n[invoice.seller]\nname = \"杭州云栖科技有限公司\"\ntax_id = \"91350100M000100Y43\"\n",
        )
        .unwrap();
        assert_eq!(s.province.as_deref(), Some("33"));
        assert_eq!(s.channel, 2);
        assert_eq!(s.kind, InvoiceKind::Special);
        assert_eq!(s.seller().unwrap().name, "杭州云栖科技有限公司");
        assert!(parse("").unwrap().province.is_none());
        let e = parse("[invoice]\nprovince = \"39\"\n").unwrap_err();
        assert!(
            e.contains("shopflow.toml: [invoice]: `province` \"39\""),
            "{e}"
        );
        let e = parse("[invoice]\nprovinse = \"33\"\n").unwrap_err();
        assert!(e.contains("provinse"), "{e}");
        let e =
            parse("[invoice.seller]\nname = \"x\"\ntax_id = \"91350100M000100Y44\"\n").unwrap_err();
        assert!(
            e.contains("`seller.tax_id` fails its check character"),
            "{e}"
        );
        assert!(
            !e.contains("91350100M000100Y44"),
            "no tax id in the error: {e}"
        );
    }
}
