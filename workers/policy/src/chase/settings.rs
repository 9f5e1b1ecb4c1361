//! `[chase]` in `shopflow.toml`: the reminder ladder, its channels and template, with per-shop
//! overrides under `[chase.shops.NAME]`.

use std::collections::BTreeMap;

use serde::Deserialize;
use shopflow_connectors::Config;
use shopflow_connectors::config::Error as ConfigError;

/// The ladder for one shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopChase {
    /// The first reminder, this many minutes after the order was created.
    pub first_after_minutes: i64,
    /// Later reminders, this many minutes before the auto-close deadline.
    pub before_close_minutes: Vec<i64>,
    /// The deadline when the platform gives none (hours after creation).
    pub close_after_hours: i64,
    /// No reminder later than this many minutes before the deadline.
    pub min_lead_minutes: i64,
    /// The channel of the 1st, 2nd, … reminder (the last repeats): `platform`, `sms`, `voice`.
    pub channels: Vec<String>,
    /// The `notify.send` template.
    pub template: String,
}

impl Default for ShopChase {
    fn default() -> Self {
        Self {
            first_after_minutes: 15,
            before_close_minutes: vec![120],
            close_after_hours: 24,
            min_lead_minutes: 10,
            channels: vec!["platform".into(), "sms".into(), "voice".into()],
            template: "payment_reminder".into(),
        }
    }
}

/// `[chase]`: the defaults and the shops that differ.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChaseSettings {
    defaults: ShopChase,
    shops: BTreeMap<String, ShopChase>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChase {
    first_after_minutes: Option<i64>,
    before_close_minutes: Option<Vec<i64>>,
    close_after_hours: Option<i64>,
    min_lead_minutes: Option<i64>,
    channels: Option<Vec<String>>,
    template: Option<String>,
    #[serde(default)]
    shops: BTreeMap<String, RawChase>,
}

const CHANNELS: [&str; 3] = ["platform", "sms", "voice"];

impl ChaseSettings {
    /// Reads `[chase]` (the defaults when absent).
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let raw: RawChase = config.section("chase")?.unwrap_or_default();
        let fail = |message: String| ConfigError::Parse {
            path: config.path.clone(),
            message,
        };
        let defaults =
            apply(&ShopChase::default(), &raw).map_err(|m| fail(format!("[chase]: {m}")))?;
        let mut shops = BTreeMap::new();
        for (name, over) in &raw.shops {
            if !config.shops.is_empty() && !config.shops.contains_key(name) {
                return Err(fail(format!(
                    "[chase.shops.{name}]: no [[shop]] is called `{name}`"
                )));
            }
            if !over.shops.is_empty() {
                return Err(fail(format!(
                    "[chase.shops.{name}]: shops cannot have shops of their own"
                )));
            }
            let shop =
                apply(&defaults, over).map_err(|m| fail(format!("[chase.shops.{name}]: {m}")))?;
            shops.insert(name.clone(), shop);
        }
        Ok(Self { defaults, shops })
    }

    /// Settings built in code.
    pub fn new(defaults: ShopChase, shops: BTreeMap<String, ShopChase>) -> Self {
        Self { defaults, shops }
    }

    /// The ladder of `shop`.
    pub fn for_shop(&self, shop: &str) -> &ShopChase {
        self.shops.get(shop).unwrap_or(&self.defaults)
    }
}

fn apply(base: &ShopChase, raw: &RawChase) -> Result<ShopChase, String> {
    let mut out = base.clone();
    let minutes = |key: &str, v: i64, max: i64| -> Result<i64, String> {
        if (0..=max).contains(&v) {
            Ok(v)
        } else {
            Err(format!("`{key} = {v}`: give 0 to {max}"))
        }
    };
    if let Some(v) = raw.first_after_minutes {
        out.first_after_minutes = minutes("first_after_minutes", v, 7 * 24 * 60)?;
    }
    if let Some(v) = &raw.before_close_minutes {
        out.before_close_minutes = v
            .iter()
            .map(|m| minutes("before_close_minutes", *m, 7 * 24 * 60))
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = raw.close_after_hours {
        if !(1..=30 * 24).contains(&v) {
            return Err(format!("`close_after_hours = {v}`: give 1 to 720"));
        }
        out.close_after_hours = v;
    }
    if let Some(v) = raw.min_lead_minutes {
        out.min_lead_minutes = minutes("min_lead_minutes", v, 24 * 60)?;
    }
    if let Some(v) = &raw.channels {
        if v.is_empty() {
            return Err("`channels` is empty; list at least one of platform, sms, voice".into());
        }
        if let Some(bad) = v.iter().find(|c| !CHANNELS.contains(&c.as_str())) {
            return Err(format!(
                "`channels` has `{bad}`; use platform, sms or voice"
            ));
        }
        out.channels = v.clone();
    }
    if let Some(v) = &raw.template {
        out.template = v.clone();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn reads_overrides_and_refuses_unknown_channels() {
        let text = "[chase]\nbefore_close_minutes = [180, 60]\n[chase.shops.pdd]\nchannels = [\"platform\"]\n";
        let config = Config::parse(text, Path::new("shopflow.toml"), &|_| None).unwrap();
        let s = ChaseSettings::from_config(&config).unwrap();
        assert_eq!(s.for_shop("pdd").channels, ["platform"]);
        assert_eq!(s.for_shop("pdd").before_close_minutes, [180, 60]);
        assert_eq!(s.for_shop("tmall").channels.len(), 3);
        let config = Config::parse(
            "[chase]\nchannels = [\"fax\"]\n",
            Path::new("shopflow.toml"),
            &|_| None,
        )
        .unwrap();
        let e = ChaseSettings::from_config(&config).unwrap_err().to_string();
        assert!(e.contains("[chase]") && e.contains("`fax`"), "{e}");
    }
}
