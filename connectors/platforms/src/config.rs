//! Shops and their credentials from `shopflow.toml` (`[[shop]]` tables). Secrets are named by
//! where to read them (`{ env = "VAR" }` or `{ file = "path" }`), never written inline, and
//! are read once at load into [`Secret`] values whose `Debug` does not show them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::platform::Platform;

/// Why `shopflow.toml` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for shopflow.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong and where (line and column when TOML knows them).
        message: String,
    },
    /// A shop's settings are wrong.
    #[error("{path}: shop `{shop}`: {message}")]
    Shop {
        /// The file.
        path: PathBuf,
        /// The shop's name.
        shop: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// A secret value (an app secret, an access token). `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for signing and sending; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where a secret comes from, as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    /// An environment variable.
    pub env: Option<String>,
    /// A file (its content, trimmed); relative to the config file.
    pub file: Option<PathBuf>,
}

/// `shopflow.toml` as written. Unknown top-level keys land in `workers` and are refused there
/// by name (serde's `deny_unknown_fields` does not work together with `flatten`).
#[derive(Debug, Deserialize)]
struct RawConfig {
    #[serde(default)]
    shop: Vec<RawShop>,
    #[serde(default)]
    hooks: Option<RawHooks>,
    #[serde(default)]
    voucher: Option<RawVoucher>,
    /// Sections the workers read themselves (see [`WORKER_SECTIONS`]).
    #[serde(flatten)]
    workers: BTreeMap<String, toml::Value>,
}

/// The top-level tables of `shopflow.toml` that belong to workers, not to the connectors: each
/// worker reads and checks its own with [`Config::section`].
pub const WORKER_SECTIONS: &[&str] = &["desk", "notify", "returns", "chase", "invoice"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVoucher {
    base_url: Option<String>,
    key: Option<SecretSource>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHooks {
    max_age_s: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShop {
    name: String,
    platform: String,
    app_key: Option<String>,
    app_secret: Option<SecretSource>,
    access_token: Option<SecretSource>,
    refresh_token: Option<SecretSource>,
    shop_id: Option<String>,
    domain: Option<String>,
    api_version: Option<String>,
    endpoint: Option<String>,
    push_endpoint: Option<String>,
    rate: Option<f64>,
    timeout_ms: Option<u64>,
    retries: Option<u32>,
    sign_method: Option<String>,
}

/// One shop on one platform, with its credentials resolved.
#[derive(Debug, Clone)]
pub struct Shop {
    /// The name flows use (`with: {shop: NAME}`).
    pub name: String,
    /// Its platform.
    pub platform: Platform,
    /// The app key / client id (`client_id` on Pinduoduo; Shopify's API key).
    pub app_key: String,
    /// The app secret that signs requests and push messages.
    pub app_secret: Secret,
    /// The shop's access token (Taobao calls it `session`).
    pub access_token: Secret,
    /// The refresh token, where the platform has one.
    pub refresh_token: Option<Secret>,
    /// The platform's id of the shop, seller or mall: how push messages name it.
    pub shop_id: Option<String>,
    /// Shopify's `*.myshopify.com` domain.
    pub domain: Option<String>,
    /// Shopify's Admin API version.
    pub api_version: String,
    /// The gateway's base URL (the real one unless a sandbox is configured).
    pub endpoint: String,
    /// The WebSocket push channel (Taobao TMC, Pinduoduo), if any.
    pub push_endpoint: Option<String>,
    /// Calls per second this shop may make.
    pub rate: f64,
    /// How long one request may take.
    pub timeout: Duration,
    /// How many times a failed call that can succeed later is tried again inside one step.
    pub retries: u32,
    /// The digest used to sign requests (TOP family and Douyin).
    pub sign_method: crate::sign::SignMethod,
}

/// Everything `shopflow.toml` configures for the connectors.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The shops, by name.
    pub shops: BTreeMap<String, Shop>,
    /// How old a webhook may be before it is refused as stale.
    pub hook_max_age: Option<Duration>,
    /// `[voucher]`: where voucher links point and the key that signs them.
    pub voucher: VoucherSettings,
    /// The worker sections ([`WORKER_SECTIONS`]) as written, for their workers to read.
    pub sections: BTreeMap<String, toml::Value>,
    /// The file this came from (`shopflow.toml` when built in code), for error messages and
    /// for secret files named relative to it.
    pub path: PathBuf,
}

/// `[voucher]` in `shopflow.toml`.
#[derive(Debug, Clone, Default)]
pub struct VoucherSettings {
    /// The public address voucher links start with (`https://returns.example.com`); the
    /// server's own address when absent.
    pub base_url: Option<String>,
    /// The signing key (at least 32 bytes); a key file in the data directory when absent.
    pub key: Option<Secret>,
}

/// The default for [`Config::hook_max_age`]: Shopify retries a webhook for up to 48 hours.
pub const DEFAULT_HOOK_MAX_AGE: Duration = Duration::from_secs(48 * 3600);

impl Config {
    /// Reads and checks `path`, resolving every secret.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path, &|name| std::env::var(name).ok())
    }

    /// Parses `text` (read from `path`, which relative secret files are resolved against);
    /// `env` looks up environment variables.
    pub fn parse(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        if let Some(unknown) = raw
            .workers
            .keys()
            .find(|k| !WORKER_SECTIONS.contains(&k.as_str()))
        {
            return Err(Error::Parse {
                path: path.to_owned(),
                message: format!(
                    "unknown table `[{unknown}]`; shopflow.toml has `[[shop]]`, `[hooks]`, `[voucher]` and {}",
                    WORKER_SECTIONS
                        .iter()
                        .map(|s| format!("`[{s}]`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let mut shops = BTreeMap::new();
        for raw_shop in raw.shop {
            let name = raw_shop.name.clone();
            let shop = resolve_shop(raw_shop, base, env).map_err(|message| Error::Shop {
                path: path.to_owned(),
                shop: name.clone(),
                message,
            })?;
            if shops.insert(name.clone(), shop).is_some() {
                return Err(Error::Shop {
                    path: path.to_owned(),
                    shop: name,
                    message: "two [[shop]] tables have this name; names must be unique".into(),
                });
            }
        }
        let voucher = match raw.voucher {
            None => VoucherSettings::default(),
            Some(v) => resolve_voucher(v, base, env).map_err(|message| Error::Parse {
                path: path.to_owned(),
                message: format!("[voucher]: {message}"),
            })?,
        };
        Ok(Self {
            shops,
            hook_max_age: raw.hooks.and_then(|h| h.max_age_s).map(Duration::from_secs),
            voucher,
            sections: raw.workers,
            path: path.to_owned(),
        })
    }

    /// The worker section `[name]` read into `T` (`None` when the file has none). The error
    /// names the file and the section, with TOML's own message (the key that is wrong).
    pub fn section<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Error> {
        self.sections
            .get(name)
            .map(|v| {
                v.clone()
                    .try_into()
                    .map_err(|e: toml::de::Error| Error::Parse {
                        path: self.path.clone(),
                        message: format!("[{name}]: {}", e.to_string().trim_end()),
                    })
            })
            .transpose()
    }

    /// Reads a secret named in a worker section (`field` is its key, for the error), from the
    /// environment or from a file relative to this config file.
    pub fn secret(&self, field: &str, src: &SecretSource) -> Result<Secret, String> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        read_secret(field, src, base, &|name| std::env::var(name).ok())
    }

    /// The shop called `name`.
    pub fn shop(&self, name: &str) -> Option<&Shop> {
        self.shops.get(name)
    }

    /// The shops on `platform`.
    pub fn on(&self, platform: Platform) -> impl Iterator<Item = &Shop> {
        self.shops.values().filter(move |s| s.platform == platform)
    }
}

fn resolve_shop(
    raw: RawShop,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Shop, String> {
    let platform: Platform = raw.platform.parse()?;
    if raw.name.trim().is_empty() {
        return Err("`name` is empty".into());
    }
    let secret = |field: &str, src: &Option<SecretSource>| -> Result<Option<Secret>, String> {
        src.as_ref()
            .map(|s| read_secret(field, s, base, env))
            .transpose()
    };
    let required = |field: &str, src: &Option<SecretSource>| -> Result<Secret, String> {
        secret(field, src)?.ok_or_else(|| {
            format!("`{field}` is missing; add `{field} = {{ env = \"VAR\" }}` or `{{ file = \"path\" }}`")
        })
    };
    let app_secret = required("app_secret", &raw.app_secret)?;
    let access_token = required("access_token", &raw.access_token)?;
    let refresh_token = secret("refresh_token", &raw.refresh_token)?;
    let app_key = match (platform, raw.app_key) {
        (_, Some(k)) if !k.trim().is_empty() => k,
        (Platform::Shopify, _) => String::new(),
        _ => {
            return Err(
                "`app_key` is missing (the app key / client id the platform issued)".into(),
            );
        }
    };
    if platform == Platform::Shopify && raw.domain.is_none() {
        return Err("`domain` is missing (the shop's `*.myshopify.com` domain)".into());
    }
    if matches!(
        platform,
        Platform::Taobao | Platform::Pdd | Platform::Douyin
    ) && raw.shop_id.is_none()
    {
        return Err(format!(
            "`shop_id` is missing: push messages name the shop by its {} id",
            match platform {
                Platform::Taobao => "seller (user_id)",
                Platform::Pdd => "mall (mallID)",
                _ => "shop (shop_id)",
            }
        ));
    }
    let rate = raw.rate.unwrap_or(match platform {
        Platform::Shopify => 2.0,
        _ => 20.0,
    });
    if !(rate > 0.0 && rate <= 10_000.0) {
        return Err(format!(
            "`rate` is {rate}; give calls per second between 0 and 10000"
        ));
    }
    let sign_method = match raw.sign_method.as_deref() {
        None => match platform {
            Platform::Jd | Platform::Pdd => crate::sign::SignMethod::Md5,
            _ => crate::sign::SignMethod::HmacSha256,
        },
        Some(m) => crate::sign::SignMethod::parse(m)
            .ok_or_else(|| format!("`sign_method` `{m}` is not md5, hmac or hmac-sha256"))?,
    };
    let endpoint = raw
        .endpoint
        .unwrap_or_else(|| platform.default_endpoint(raw.domain.as_deref()));
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(format!(
            "`endpoint` `{endpoint}` must start with http:// or https://"
        ));
    }
    Ok(Shop {
        name: raw.name,
        platform,
        app_key,
        app_secret,
        access_token,
        refresh_token,
        shop_id: raw.shop_id,
        domain: raw.domain,
        api_version: raw.api_version.unwrap_or_else(|| "2025-01".into()),
        endpoint,
        push_endpoint: raw
            .push_endpoint
            .or_else(|| platform.default_push_endpoint().map(str::to_owned)),
        rate,
        timeout: Duration::from_millis(raw.timeout_ms.unwrap_or(10_000)),
        retries: raw.retries.unwrap_or(3),
        sign_method,
    })
}

fn resolve_voucher(
    raw: RawVoucher,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<VoucherSettings, String> {
    let base_url = raw
        .base_url
        .map(|u| u.trim().trim_end_matches('/').to_owned());
    if let Some(u) = &base_url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        return Err(format!(
            "`base_url` `{u}` must start with https:// (or http://)"
        ));
    }
    let key = raw
        .key
        .as_ref()
        .map(|k| read_secret("key", k, base, env))
        .transpose()?;
    if let Some(k) = &key
        && k.expose().len() < 32
    {
        return Err(format!(
            "`key` has {} bytes; it needs at least 32 (e.g. `head -c 32 /dev/urandom | base64`)",
            k.expose().len()
        ));
    }
    Ok(VoucherSettings { base_url, key })
}

fn read_secret(
    field: &str,
    src: &SecretSource,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, String> {
    match (&src.env, &src.file) {
        (Some(var), None) => env(var)
            .filter(|v| !v.is_empty())
            .map(|v| Secret::new(v.trim()))
            .ok_or_else(|| format!("`{field}`: environment variable {var} is not set")),
        (None, Some(file)) => {
            let path = base.join(file);
            std::fs::read_to_string(&path)
                .map(|v| Secret::new(v.trim()))
                .map_err(|e| format!("`{field}`: cannot read {}: {e}", path.display()))
        }
        _ => Err(format!(
            "`{field}` must be `{{ env = \"VAR\" }}` or `{{ file = \"path\" }}` (exactly one)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TB_SECRET" => Some("helloworld".into()),
            "TB_SESSION" => Some("session-1".into()),
            _ => None,
        }
    }

    #[test]
    fn reads_a_taobao_shop_and_hides_its_secrets() {
        let text = r#"
            [[shop]]
            name = "tmall"
            platform = "taobao"
            app_key = "12345678"
            app_secret = { env = "TB_SECRET" }
            access_token = { env = "TB_SESSION" }
            shop_id = "2200000001"
        "#;
        let c = Config::parse(text, Path::new("shopflow.toml"), &env).unwrap();
        let shop = c.shop("tmall").unwrap();
        assert_eq!(shop.platform, Platform::Taobao);
        assert_eq!(shop.app_secret.expose(), "helloworld");
        assert_eq!(shop.endpoint, "https://eco.taobao.com");
        let debug = format!("{shop:?}");
        assert!(
            !debug.contains("helloworld") && !debug.contains("session-1"),
            "{debug}"
        );
    }

    #[test]
    fn says_which_secret_is_missing() {
        let text = r#"
            [[shop]]
            name = "tmall"
            platform = "taobao"
            app_key = "1"
            app_secret = { env = "NOPE" }
            access_token = { env = "TB_SESSION" }
            shop_id = "1"
        "#;
        let e = Config::parse(text, Path::new("shopflow.toml"), &env).unwrap_err();
        assert_eq!(
            e.to_string(),
            "shopflow.toml: shop `tmall`: `app_secret`: environment variable NOPE is not set"
        );
        let e = Config::parse("[[shop]]\nname = 1\n", Path::new("s.toml"), &env).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = Config::parse(
            "[[shop]]\nname='x'\nplatform='ebay'\n",
            Path::new("s.toml"),
            &env,
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown platform `ebay`"), "{e}");
    }
}
