//! The shop platforms shopflow connects to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A shop platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Taobao / Tmall Open Platform (TOP).
    Taobao,
    /// JD Open Service (JOS).
    Jd,
    /// Pinduoduo open platform.
    Pdd,
    /// Douyin shop (抖店).
    Douyin,
    /// Shopify Admin API.
    Shopify,
}

impl Platform {
    /// Every platform, in documentation order.
    pub const ALL: [Platform; 5] = [
        Platform::Taobao,
        Platform::Jd,
        Platform::Pdd,
        Platform::Douyin,
        Platform::Shopify,
    ];

    /// The lower-case name used in config, URLs (`/hooks/{platform}`) and event types.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Taobao => "taobao",
            Platform::Jd => "jd",
            Platform::Pdd => "pdd",
            Platform::Douyin => "douyin",
            Platform::Shopify => "shopify",
        }
    }

    /// The real gateway's base URL (Shopify's is the shop's own domain).
    pub fn default_endpoint(self, domain: Option<&str>) -> String {
        match self {
            Platform::Taobao => "https://eco.taobao.com".into(),
            Platform::Jd => "https://api.jd.com".into(),
            Platform::Pdd => "https://gw-api.pinduoduo.com".into(),
            Platform::Douyin => "https://openapi-fxg.jinritemai.com".into(),
            Platform::Shopify => format!("https://{}", domain.unwrap_or("example.myshopify.com")),
        }
    }

    /// The real push channel, for the platforms that push over WebSocket.
    pub fn default_push_endpoint(self) -> Option<&'static str> {
        match self {
            Platform::Taobao => Some("ws://mc.api.taobao.com/"),
            Platform::Pdd => Some("wss://message-api.pinduoduo.com"),
            _ => None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s.to_ascii_lowercase())
            .ok_or_else(|| {
                format!("unknown platform `{s}`; expected one of taobao, jd, pdd, douyin, shopify")
            })
    }
}
