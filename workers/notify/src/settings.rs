//! `[notify]` in `shopflow.toml`: the Aliyun SMS and voice accounts, the templates, quiet hours
//! (with per-shop overrides) and the minimum gap between two contacts of one buyer. Read with
//! [`Config::section`] and checked here, so a typo or a missing secret stops `shopflow serve`
//! at start with the file, the table and the key named.
//!
//! ```toml
//! [notify]
//! min_gap_hours = 24
//! quiet_hours = { start = "22:00", end = "08:00", utc_offset = "+08:00" }
//!
//! [notify.sms]
//! endpoint = "https://dysmsapi.aliyuncs.com/"
//! access_key_id = "LTAI5t…"
//! access_key_secret = { env = "ALIYUN_ACCESS_KEY_SECRET" }
//! sign_name = "青禾小店"
//!
//! [notify.voice]
//! access_key_id = "LTAI5t…"
//! access_key_secret = { env = "ALIYUN_ACCESS_KEY_SECRET" }
//! called_show_number = "057112345678"
//!
//! [notify.templates.payment_reminder]
//! sms_code = "SMS_300000001"
//! tts_code = "TTS_300000002"
//! text = "亲，您的订单 {order_id} 还未付款，库存有限，付款后 48 小时内发货哦～"
//!
//! [notify.shops.us-store]
//! quiet_hours = { start = "21:00", end = "09:00", utc_offset = "-05:00" }
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use shopflow_connectors::Config;
use shopflow_connectors::config::SecretSource;

use crate::aliyun::{self, Account};
use crate::error::Error;
use crate::quiet::QuietHours;

/// The default for `min_gap_hours`: one reminder per buyer per shop per day.
pub const DEFAULT_MIN_GAP_HOURS: u32 = 24;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotify {
    min_gap_hours: Option<u32>,
    quiet_hours: Option<RawQuietHours>,
    sms: Option<RawSms>,
    voice: Option<RawVoice>,
    #[serde(default)]
    templates: BTreeMap<String, RawTemplate>,
    #[serde(default)]
    shops: BTreeMap<String, RawShop>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuietHours {
    start: String,
    end: String,
    utc_offset: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSms {
    endpoint: Option<String>,
    access_key_id: String,
    access_key_secret: SecretSource,
    sign_name: String,
    region_id: Option<String>,
    timeout_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVoice {
    endpoint: Option<String>,
    access_key_id: String,
    access_key_secret: SecretSource,
    called_show_number: String,
    region_id: Option<String>,
    timeout_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    sms_code: Option<String>,
    tts_code: Option<String>,
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShop {
    quiet_hours: Option<RawQuietHours>,
}

/// `[notify.sms]`: the Dysms account and the sign name every SMS carries.
#[derive(Debug, Clone)]
pub struct SmsSettings {
    /// The AccessKey pair and endpoint.
    pub account: Account,
    /// `SignName`, the approved signature shown as 【…】 in the message.
    pub sign_name: String,
}

/// `[notify.voice]`: the Dyvms account and the number the buyer sees calling.
#[derive(Debug, Clone)]
pub struct VoiceSettings {
    /// The AccessKey pair and endpoint.
    pub account: Account,
    /// `CalledShowNumber`, a display number bought in the voice console.
    pub called_show_number: String,
}

/// `[notify.templates.NAME]`: what one message template is on each channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    /// The approved SMS template (`TemplateCode`, `SMS_…`).
    pub sms_code: Option<String>,
    /// The approved text-to-speech template (`TtsCode`, `TTS_…`).
    pub tts_code: Option<String>,
    /// The platform message, with `{name}` placeholders filled from `params`.
    pub text: Option<String>,
}

/// `[notify]`, checked, with its secrets read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// At least this long between two contacts of one buyer of one shop (0: no limit).
    pub min_gap: Duration,
    /// Quiet hours of shops without their own.
    pub quiet_hours: QuietHours,
    /// Quiet hours by shop name (`[notify.shops.NAME]`).
    pub shop_quiet_hours: BTreeMap<String, QuietHours>,
    /// The SMS account, if configured.
    pub sms: Option<SmsSettings>,
    /// The voice account, if configured.
    pub voice: Option<VoiceSettings>,
    /// Templates by name.
    pub templates: BTreeMap<String, Template>,
    /// The configuration file, for error messages.
    pub path: PathBuf,
}

impl Settings {
    /// Reads `[notify]` of `config`; without one, no SMS or voice account, no templates, the
    /// default quiet hours (22:00–08:00 +08:00) and gap (24 h).
    pub fn from_config(config: &Config) -> Result<Self, Error> {
        let raw: RawNotify = config.section("notify")?.unwrap_or_default();
        let path = config.path.clone();
        let bad = |table: &str, message: String| Error::Setting {
            path: path.clone(),
            table: table.to_owned(),
            message,
        };
        let quiet = |table: &str, q: &RawQuietHours| {
            QuietHours::parse(
                &q.start,
                &q.end,
                q.utc_offset.as_deref().unwrap_or("+08:00"),
            )
            .map_err(|m| bad(table, format!("`quiet_hours`: {m}")))
        };
        let quiet_hours = match &raw.quiet_hours {
            Some(q) => quiet("notify", q)?,
            None => QuietHours::default_window(),
        };
        let mut shop_quiet_hours = BTreeMap::new();
        for (shop, o) in &raw.shops {
            let table = format!("notify.shops.{shop}");
            if config.shop(shop).is_none() {
                let names: Vec<&str> = config.shops.keys().map(String::as_str).collect();
                return Err(bad(
                    &table,
                    format!(
                        "no `[[shop]]` is named `{shop}` (configured: {})",
                        if names.is_empty() {
                            "none".into()
                        } else {
                            names.join(", ")
                        }
                    ),
                ));
            }
            if let Some(q) = &o.quiet_hours {
                shop_quiet_hours.insert(shop.clone(), quiet(&table, q)?);
            }
        }
        let account = |table: &str,
                       endpoint: &Option<String>,
                       default_endpoint: &str,
                       id: &str,
                       secret: &SecretSource,
                       region: &Option<String>,
                       timeout_ms: Option<u64>| {
            let endpoint = endpoint
                .as_deref()
                .unwrap_or(default_endpoint)
                .trim()
                .to_owned();
            if !(endpoint.starts_with("https://") || endpoint.starts_with("http://"))
                || endpoint.contains('?')
            {
                return Err(bad(
                    table,
                    format!(
                        "`endpoint` `{endpoint}` must be an http(s) URL without a query, like \"{default_endpoint}\""
                    ),
                ));
            }
            if id.trim().is_empty() {
                return Err(bad(table, "`access_key_id` is empty".into()));
            }
            let access_key_secret = config
                .secret("access_key_secret", secret)
                .map_err(|m| bad(table, m))?;
            Ok(Account {
                endpoint,
                access_key_id: id.trim().to_owned(),
                access_key_secret,
                region_id: region.clone().unwrap_or_else(|| "cn-hangzhou".into()),
                timeout: Duration::from_millis(timeout_ms.unwrap_or(10_000)),
            })
        };
        let sms = match &raw.sms {
            None => None,
            Some(s) => {
                if s.sign_name.trim().is_empty() {
                    return Err(bad("notify.sms", "`sign_name` is empty".into()));
                }
                Some(SmsSettings {
                    account: account(
                        "notify.sms",
                        &s.endpoint,
                        aliyun::SMS_ENDPOINT,
                        &s.access_key_id,
                        &s.access_key_secret,
                        &s.region_id,
                        s.timeout_ms,
                    )?,
                    sign_name: s.sign_name.trim().to_owned(),
                })
            }
        };
        let voice = match &raw.voice {
            None => None,
            Some(v) => {
                if v.called_show_number.trim().is_empty() {
                    return Err(bad("notify.voice", "`called_show_number` is empty".into()));
                }
                Some(VoiceSettings {
                    account: account(
                        "notify.voice",
                        &v.endpoint,
                        aliyun::VOICE_ENDPOINT,
                        &v.access_key_id,
                        &v.access_key_secret,
                        &v.region_id,
                        v.timeout_ms,
                    )?,
                    called_show_number: v.called_show_number.trim().to_owned(),
                })
            }
        };
        let mut templates = BTreeMap::new();
        for (name, t) in raw.templates {
            let clean =
                |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            let template = Template {
                sms_code: clean(t.sms_code),
                tts_code: clean(t.tts_code),
                text: clean(t.text),
            };
            if template == Template::default() {
                return Err(bad(
                    &format!("notify.templates.{name}"),
                    "the template has none of `sms_code`, `tts_code` and `text`".into(),
                ));
            }
            templates.insert(name, template);
        }
        Ok(Self {
            min_gap: Duration::from_secs(
                u64::from(raw.min_gap_hours.unwrap_or(DEFAULT_MIN_GAP_HOURS)) * 3600,
            ),
            quiet_hours,
            shop_quiet_hours,
            sms,
            voice,
            templates,
            path,
        })
    }

    /// The quiet hours of `shop`.
    pub fn quiet_hours_of(&self, shop: &str) -> QuietHours {
        self.shop_quiet_hours
            .get(shop)
            .copied()
            .unwrap_or(self.quiet_hours)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn config(notify: &str) -> Result<Config, shopflow_connectors::config::Error> {
        let text = format!(
            "[[shop]]\nname = 'pdd'\nplatform = 'pdd'\napp_key = 'k'\nshop_id = '1'\n\
             app_secret = {{ env = 'S' }}\naccess_token = {{ env = 'S' }}\n{notify}"
        );
        Config::parse(&text, Path::new("shopflow.toml"), &|n| {
            (n == "S").then(|| "x".to_owned())
        })
    }

    #[test]
    fn reads_accounts_templates_and_overrides() {
        // The secret file is this crate's Cargo.toml (tests run in the crate's directory).
        let c = config(
            r#"
[notify]
min_gap_hours = 12
[notify.sms]
endpoint = "http://127.0.0.1:9000/aliyun/sms"
access_key_id = "LTAIsandbox"
access_key_secret = { file = "Cargo.toml" }
sign_name = "青禾小店"
[notify.templates.payment_reminder]
sms_code = "SMS_1"
text = "订单 {order_id} 未付款"
[notify.shops.pdd]
quiet_hours = { start = "23:00", end = "07:00" }
"#,
        )
        .unwrap();
        let s = Settings::from_config(&c).unwrap();
        assert_eq!(s.min_gap, Duration::from_secs(12 * 3600));
        let sms = s.sms.as_ref().unwrap();
        assert_eq!(sms.account.endpoint, "http://127.0.0.1:9000/aliyun/sms");
        assert_eq!(sms.account.region_id, "cn-hangzhou");
        assert!(!format!("{s:?}").contains("[package]"));
        assert!(s.voice.is_none());
        assert_eq!(s.templates["payment_reminder"].tts_code, None);
        assert_ne!(s.quiet_hours_of("pdd"), s.quiet_hours_of("other"));
    }

    #[test]
    fn no_section_means_defaults_and_no_accounts() {
        let s = Settings::from_config(&config("").unwrap()).unwrap();
        assert!(s.sms.is_none() && s.voice.is_none() && s.templates.is_empty());
        assert_eq!(s.min_gap, Duration::from_secs(24 * 3600));
        assert_eq!(s.quiet_hours, QuietHours::default_window());
    }

    #[test]
    fn mistakes_name_the_file_table_and_key() {
        let e = Settings::from_config(&config("[notify]\nmin_gap = 3\n").unwrap()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("shopflow.toml: [notify]:") && text.contains("min_gap"),
            "{text}"
        );
        let e = Settings::from_config(
            &config("[notify.shops.tmall]\nquiet_hours = { start = \"22:00\", end = \"8\" }\n")
                .unwrap(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "shopflow.toml: [notify.shops.tmall]: no `[[shop]]` is named `tmall` (configured: pdd)"
        );
        let e = Settings::from_config(
            &config(
                "[notify.voice]\naccess_key_id = 'a'\ncalled_show_number = '0571'\n\
                 access_key_secret = { env = 'SHOPFLOW_NOTIFY_TEST_UNSET' }\n",
            )
            .unwrap(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "shopflow.toml: [notify.voice]: `access_key_secret`: environment variable \
             SHOPFLOW_NOTIFY_TEST_UNSET is not set"
        );
        let e = Settings::from_config(&config("[notify.templates.x]\n").unwrap()).unwrap_err();
        assert!(e.to_string().contains("none of `sms_code`"), "{e}");
    }
}
